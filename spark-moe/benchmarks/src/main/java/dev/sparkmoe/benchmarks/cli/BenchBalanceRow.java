package dev.sparkmoe.benchmarks.cli;

import dev.sparkmoe.spark.pipeline.MoeInference;
import dev.sparkmoe.spark.pipeline.RunReport;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Row;

/**
 * One configuration of {@code bench balance}: its report and outputs, printed as a table row.
 *
 * @param name the configuration
 * @param report the run's report
 * @param embeddings the output rows' embeddings, by id
 * @param identical whether the embeddings equal the reference's bit for bit (null: it is the
 *     reference)
 * @param maxRelativeError the largest relative L2 distance of a row from the reference's
 */
@SuppressWarnings("ArrayRecordComponent") // bench values, built once
record BenchBalanceRow(
    String name,
    RunReport report,
    float[][] embeddings,
    Boolean identical,
    double maxRelativeError) {

  static BenchBalanceRow of(String name, MoeInference.MoeRun run, float[][] reference) {
    List<Row> rows = run.rows().collectAsList();
    float[][] embeddings = new float[rows.size()][];
    for (Row row : rows) {
      List<Float> values = row.getList(1);
      float[] embedding = new float[values.size()];
      for (int i = 0; i < embedding.length; i++) {
        embedding[i] = values.get(i);
      }
      embeddings[(int) row.getLong(0)] = embedding;
    }
    if (reference == null) {
      return new BenchBalanceRow(name, run.report(), embeddings, null, 0);
    }
    boolean identical = Arrays.deepEquals(embeddings, reference);
    double worst = 0;
    for (int r = 0; r < reference.length; r++) {
      worst = Math.max(worst, relativeError(embeddings[r], reference[r]));
    }
    return new BenchBalanceRow(name, run.report(), embeddings, identical, worst);
  }

  static String table(String title, List<BenchBalanceRow> rows) {
    StringBuilder out = new StringBuilder();
    RunReport.LoadBalance sample = rows.get(0).report().loadBalance();
    out.append("bench balance: ").append(title).append('\n');
    out.append(String.format(Locale.ROOT, "sampled hottest/mean per layer: %s%n", skew(sample)));
    out.append(
        String.format(
            Locale.ROOT,
            "%-28s %6s %10s %10s %10s %9s  %s%n",
            "configuration",
            "slots",
            "min bal",
            "mean bal",
            "tokens/s",
            "wall s",
            "outputs vs none"));
    for (BenchBalanceRow row : rows) {
      out.append(row.line()).append('\n');
    }
    return out.toString();
  }

  private String line() {
    double min = report.layers().stream().mapToDouble(RunReport.Layer::balance).min().orElse(0);
    double mean =
        report.layers().stream().mapToDouble(RunReport.Layer::balance).average().orElse(0);
    String outputs =
        identical == null
            ? "(reference)"
            : identical
                ? "bit-identical"
                : String.format(Locale.ROOT, "max relative L2 %.1e", maxRelativeError);
    return String.format(
        Locale.ROOT,
        "%-28s %6d %10.3f %10.3f %10.0f %9.2f  %s",
        name,
        report.layers().get(0).slots().size(),
        min,
        mean,
        report.tokensPerSecond(),
        report.wallSeconds(),
        outputs);
  }

  private static String skew(RunReport.LoadBalance balance) {
    StringBuilder out = new StringBuilder();
    for (long[] layer : balance.sampledTokensPerExpert()) {
      long max = Arrays.stream(layer).max().orElse(0);
      long sum = Arrays.stream(layer).sum();
      out.append(
          String.format(Locale.ROOT, "%.2f ", sum == 0 ? 0 : max * (double) layer.length / sum));
    }
    return out.toString().trim();
  }

  private static double relativeError(float[] actual, float[] expected) {
    double diff = 0;
    double norm = 0;
    for (int i = 0; i < expected.length; i++) {
      diff += Math.pow(actual[i] - expected[i], 2);
      norm += Math.pow(expected[i], 2);
    }
    return norm == 0 ? 0 : Math.sqrt(diff / norm);
  }
}
