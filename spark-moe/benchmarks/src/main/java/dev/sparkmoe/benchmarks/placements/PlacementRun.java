package dev.sparkmoe.benchmarks.placements;

import dev.sparkmoe.core.generate.TokenGenerator;
import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.plan.SparkCosts;
import dev.sparkmoe.spark.pipeline.MoeInference;
import dev.sparkmoe.spark.pipeline.RunReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The child JVM of {@code bench placements}: starts a fresh {@code local-cluster}, measures Spark's
 * costs on it, runs the pipeline once on a warm-up sample (which loads each executor's experts and
 * shows the router's load) and once on the measured tokens, and writes a {@link PlacementResult}. A
 * fresh cluster per placement keeps one placement's resident experts from another's executors.
 */
@Command(name = "placement-run", mixinStandardHelpOptions = true)
public final class PlacementRun implements Callable<Integer> {
  /** Warm-up rows take ids from here, so that the sample differs from the measured rows. */
  static final long SAMPLE_ID_OFFSET = 1_000_000_000L;

  @Option(names = "--model", required = true)
  Path model;

  @Option(names = "--placement", required = true)
  String placement;

  @Option(names = "--slots", required = true)
  int slots;

  @Option(names = "--executors", required = true)
  int executors;

  @Option(names = "--executor-memory-mb", required = true)
  int executorMemoryMb;

  @Option(names = "--partitions", required = true)
  int partitions;

  @Option(names = "--tokens", required = true)
  long tokens;

  @Option(names = "--sample-tokens", required = true)
  long sampleTokens;

  @Option(names = "--sequence-length", required = true)
  int sequenceLength;

  @Option(names = "--result", required = true)
  Path result;

  public static void main(String[] args) {
    System.exit(new CommandLine(new PlacementRun()).execute(args));
  }

  @Override
  public Integer call() {
    ModelConfig config;
    try (MoeModel opened = MoeModel.open(model)) {
      config = opened.config();
    }
    SparkSession spark = LocalCluster.start("bench " + placement, executors, executorMemoryMb);
    try {
      int cores = Runtime.getRuntime().availableProcessors();
      SparkCosts costs = SparkCostProbe.measure(spark, executors, cores, config.hiddenSize());
      MoeInference inference =
          MoeInference.of(model.toAbsolutePath().toString())
              .output("embedding")
              .placement(placement)
              .slots(slots)
              .partitions(partitions);
      RunReport sample =
          inference.run(rows(spark, config, sampleTokens, SAMPLE_ID_OFFSET)).report();
      double before = loadAverage();
      RunReport measured = inference.run(rows(spark, config, tokens, 0)).report();
      double after = loadAverage();
      new PlacementResult(
              placement, slots, executors, costs, tokensPerExpert(sample), measured, before, after)
          .write(result);
    } finally {
      spark.stop();
    }
    return 0;
  }

  private Dataset<Row> rows(SparkSession spark, ModelConfig config, long count, long firstId) {
    TokenGenerator generator =
        new TokenGenerator(7, sequenceLength, sequenceLength, config.vocabSize());
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType, false)
            .add("tokens", DataTypes.createArrayType(DataTypes.IntegerType, false), false);
    List<Row> rows = new ArrayList<>();
    for (long i = 0; i < Math.max(1, count / sequenceLength); i++) {
      rows.add(RowFactory.create(firstId + i, generator.tokens(firstId + i)));
    }
    return spark.createDataFrame(rows, schema).repartition(partitions);
  }

  private static long[][] tokensPerExpert(RunReport report) {
    return report.layers().stream().map(RunReport.Layer::tokensPerExpert).toArray(long[][]::new);
  }

  /** The 1-minute load average, or -1 where /proc/loadavg cannot be read. */
  static double loadAverage() {
    try {
      String line = Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII);
      return Double.parseDouble(line.trim().split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
