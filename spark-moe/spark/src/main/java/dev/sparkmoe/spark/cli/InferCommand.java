package dev.sparkmoe.spark.cli;

import dev.sparkmoe.core.config.MoeOptions;
import dev.sparkmoe.spark.SparkSessions;
import dev.sparkmoe.spark.pipeline.MoeInference;
import dev.sparkmoe.spark.pipeline.RunReport;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code moe infer}: runs a model over a tokenized table and writes one output row per input row.
 * The pipeline flags ({@code --placement}, {@code --kind}, ...) come from {@link PipelineFlags}.
 */
@Command(
    name = "infer",
    mixinStandardHelpOptions = true,
    description = "Run a MoE model over a tokenized table (id, tokens) and write the results.",
    modelTransformer = PipelineFlags.class)
final class InferCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--model",
      required = true,
      description = "Model directory (config.json + safetensors).")
  Path model;

  @Option(names = "--input", required = true, description = "Input table path.")
  String input;

  @Option(
      names = "--input-format",
      defaultValue = "parquet",
      description = "parquet or json (default: ${DEFAULT-VALUE}).")
  String inputFormat;

  @Option(names = "--output", required = true, description = "Output path; must not exist.")
  String output;

  @Option(
      names = "--output-format",
      defaultValue = "parquet",
      description = "parquet or json (default: ${DEFAULT-VALUE}).")
  String outputFormat;

  @Option(
      names = "--master",
      defaultValue = "local[2]",
      description = "Spark master when no session is active (default: ${DEFAULT-VALUE}).")
  String master;

  @Override
  public Integer call() {
    TableFormat in = TableFormat.parse(inputFormat);
    TableFormat out = TableFormat.parse(outputFormat);
    Map<String, String> flags = PipelineFlags.values(spec);
    MoeInference inference = MoeInference.of(model.toAbsolutePath().toString());
    for (Map.Entry<String, String> flag : flags.entrySet()) {
      inference = inference.option(flag.getKey(), flag.getValue());
    }
    try (SparkSessions.Handle handle = SparkSessions.open(master, "moe infer")) {
      TableFormat.ensureAbsent(handle.session(), output);
      MoeInference.MoeRun run = inference.run(in.read(handle.session(), input));
      // The page is drawn while the output is written; the output is committed first.
      CompletableFuture<String> page = ReportFiles.draw(run.report());
      out.write(run.rows(), output);
      String reports = ReportFiles.write(handle.session(), output, run.report(), page);
      RunReport report = run.report();
      spec.commandLine()
          .getOut()
          .printf(
              Locale.ROOT,
              "Wrote %d rows of %s to %s: %d tokens in %.1f s (%.0f tokens/s), placement %s; report in %s%n",
              report.rows(),
              flags.get(MoeOptions.KIND.key()),
              output,
              report.tokens(),
              report.wallSeconds(),
              report.tokensPerSecond(),
              report.placement(),
              reports);
    }
    return 0;
  }
}
