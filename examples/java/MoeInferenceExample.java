package dev.sparkmoe.examples;

import dev.sparkmoe.spark.pipeline.MoeInference;
import dev.sparkmoe.spark.pipeline.RunReport;
import dev.sparkmoe.spark.report.HtmlReport;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A small Spark application on spark-moe's DataFrame API: reads a tokenized table ({@code id},
 * {@code tokens}), computes an embedding per row with the expert-parallel pipeline, writes the
 * embeddings as Parquet and the run report as HTML, and prints the load of each layer's experts.
 *
 * <p>Run it from source with {@code examples/java-app.sh MODEL INPUT OUTPUT}, or build it into your
 * application and {@code spark-submit --class dev.sparkmoe.examples.MoeInferenceExample} with
 * spark-moe's application jar on {@code --jars}.
 */
public final class MoeInferenceExample {
  private MoeInferenceExample() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 3) {
      System.err.println("Usage: MoeInferenceExample MODEL_DIR INPUT(.parquet|.json) OUTPUT");
      System.exit(2);
    }
    SparkSession spark = SparkSession.builder().appName("spark-moe example").getOrCreate();
    try {
      run(spark, args[0], args[1], args[2], System.out);
    } finally {
      spark.stop();
    }
  }

  /** The application: everything but the session. */
  public static RunReport run(
      SparkSession spark, String model, String input, String output, PrintStream out)
      throws IOException {
    Dataset<Row> tokens =
        input.endsWith(".json") ? spark.read().json(input) : spark.read().parquet(input);

    MoeInference.MoeRun run =
        MoeInference.of(model)
            .idColumn("id")
            .tokensColumn("tokens")
            .kind("embedding")
            .placement("shared-layers")
            .run(tokens);
    run.rows().write().parquet(output);

    RunReport report = run.report();
    out.printf(
        Locale.ROOT,
        "%d rows, %d tokens in %.1f s (%.0f tokens/s) on %s%n",
        report.rows(),
        report.tokens(),
        report.wallSeconds(),
        report.tokensPerSecond(),
        report.backend());
    for (RunReport.Layer layer : report.layers()) {
      out.printf(Locale.ROOT, "layer %d: balance %.2f, %s%n", layer.layer(), layer.balance(),
          hottest(layer.tokensPerExpert()));
    }
    Path html = Path.of(output + ".report.html");
    Files.writeString(html, HtmlReport.render(report), StandardCharsets.UTF_8);
    out.println("Wrote " + output + " and " + html);
    return report;
  }

  private static String hottest(long[] tokensPerExpert) {
    int best = 0;
    long total = 0;
    for (int e = 0; e < tokensPerExpert.length; e++) {
      total += tokensPerExpert[e];
      if (tokensPerExpert[e] > tokensPerExpert[best]) {
        best = e;
      }
    }
    return String.format(
        Locale.ROOT,
        "hottest expert %d with %d of %d token-expert pairs",
        best,
        tokensPerExpert.length == 0 ? 0 : tokensPerExpert[best],
        total);
  }
}
