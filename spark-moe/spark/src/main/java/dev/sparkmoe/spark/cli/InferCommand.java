package dev.sparkmoe.spark.cli;

import dev.sparkmoe.core.forward.OutputKind;
import dev.sparkmoe.spark.SparkSessions;
import dev.sparkmoe.spark.infer.InferenceOptions;
import dev.sparkmoe.spark.infer.RowInference;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code moe infer}: runs a model over a tokenized table and writes one output row per input row.
 */
@Command(
    name = "infer",
    mixinStandardHelpOptions = true,
    description = "Run a MoE model over a tokenized table (id, tokens) and write the results.")
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
      names = "--kind",
      defaultValue = "embedding",
      description = "embedding, next-token, score or hidden (default: ${DEFAULT-VALUE}).")
  String kind;

  @Option(
      names = "--id-column",
      defaultValue = "id",
      description = "Id column (default: ${DEFAULT-VALUE}).")
  String idColumn;

  @Option(
      names = "--tokens-column",
      defaultValue = "tokens",
      description = "Token column (default: ${DEFAULT-VALUE}).")
  String tokensColumn;

  @Option(
      names = "--backend",
      defaultValue = "cpu",
      description = "Expert backend: cpu or auto (default: ${DEFAULT-VALUE}).")
  String backend;

  @Option(
      names = "--batch-tokens",
      defaultValue = "4096",
      description = "Tokens per forward batch (default: ${DEFAULT-VALUE}).")
  int batchTokens;

  @Option(
      names = "--master",
      defaultValue = "local[2]",
      description = "Spark master when no session is active (default: ${DEFAULT-VALUE}).")
  String master;

  @Override
  public Integer call() {
    TableFormat in = TableFormat.parse(inputFormat);
    TableFormat out = TableFormat.parse(outputFormat);
    InferenceOptions options =
        new InferenceOptions(
            model.toAbsolutePath().toString(),
            idColumn,
            tokensColumn,
            OutputKind.parse(kind),
            backend,
            batchTokens);
    long start = System.nanoTime();
    long rows;
    try (SparkSessions.Handle handle = SparkSessions.open(master, "moe infer")) {
      Dataset<Row> results = RowInference.transform(in.read(handle.session(), input), options);
      out.write(results, output);
      rows = out.read(handle.session(), output).count();
    }
    spec.commandLine()
        .getOut()
        .printf(
            Locale.ROOT,
            "Wrote %d rows of %s to %s in %.1f s%n",
            rows,
            options.kind().cliName(),
            output,
            (System.nanoTime() - start) / 1e9);
    return 0;
  }
}
