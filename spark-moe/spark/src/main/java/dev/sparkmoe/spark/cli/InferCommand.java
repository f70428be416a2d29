package dev.sparkmoe.spark.cli;

import dev.sparkmoe.spark.SparkSessions;
import dev.sparkmoe.spark.pipeline.MoeInference;
import dev.sparkmoe.spark.pipeline.RunReport;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
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
      description = "Expert backend: cpu, cuda or auto (default: spark.moe.backend, else cpu).")
  String backend;

  @Option(
      names = "--placement",
      description =
          "one-per-gpu, shared-layers, colocate:K or auto (default: spark.moe.placement, else"
              + " shared-layers).")
  String placement;

  @Option(
      names = "--activation-dtype",
      description =
          "f32, f16 or bf16: activations in the shuffles (default: spark.moe.activation-dtype, else f32).")
  String activationDtype;

  @Option(names = "--partitions", description = "Token-owner partitions (default: the input's).")
  Integer partitions;

  @Option(
      names = "--on-invalid-token",
      description =
          "fail or skip a row with a token outside the vocabulary or too many tokens (default:"
              + " spark.moe.on-invalid-token, else fail); skipped rows are counted in the report.")
  String onInvalidToken;

  @Option(
      names = "--slots",
      description = "Expert slots (default: one per GPU, else the cluster's task slots).")
  Integer slots;

  @Option(
      names = "--wave-rows",
      description =
          "Process the input in waves of at most this many rows, each through every layer, to bound"
              + " executor memory (default: spark.moe.wave-rows, else one wave).")
  Long waveRows;

  @Option(
      names = "--sample-rows",
      description =
          "Input rows whose routing the driver measures before the job, for the report and"
              + " --replicas (default: spark.moe.sample-rows, else 32; 0: none).")
  Integer sampleRows;

  @Option(
      names = "--replicas",
      description =
          "Replicas of hot experts from the sampled load: none, auto (on the layer's and the spare"
              + " slots, one more per slot than the experts need) or a number of extra replicas per"
              + " layer (default:"
              + " spark.moe.replicas, else none). Results do not change.")
  String replicas;

  @Option(
      names = "--capacity-factor",
      description =
          "Expert capacity factor C: an expert computes at most ceil(C x tokens x top-k /"
              + " experts) tokens per layer, those of highest routing weight; the rest get zero"
              + " from it and are counted in the report (default: spark.moe.capacity-factor, else"
              + " dropless).")
  String capacityFactor;

  @Option(
      names = "--data-parallel",
      description =
          "Copies of the whole expert set, each on its own slots; owner partition p uses copy p"
              + " mod R (default: spark.moe.data-parallel, else 1).")
  Integer dataParallel;

  @Option(
      names = "--expert-tp",
      description =
          "Tensor-parallel shards per expert: its FFN width split over G slots, partial outputs"
              + " summed at combine (default: spark.moe.expert-tp, else what --slot-memory needs,"
              + " else 1).")
  Integer expertTp;

  @Option(
      names = "--slot-memory",
      description =
          "Memory for expert weights per slot, bytes or with k/m/g (default:"
              + " spark.moe.slot-memory, else no limit); experts that do not fit get expert-tp.")
  String slotMemory;

  @Option(
      names = "--master",
      defaultValue = "local[2]",
      description = "Spark master when no session is active (default: ${DEFAULT-VALUE}).")
  String master;

  @Override
  public Integer call() {
    TableFormat in = TableFormat.parse(inputFormat);
    TableFormat out = TableFormat.parse(outputFormat);
    MoeInference inference = inference();
    try (SparkSessions.Handle handle = SparkSessions.open(master, "moe infer")) {
      TableFormat.ensureAbsent(handle.session(), output);
      MoeInference.MoeRun run = inference.run(in.read(handle.session(), input));
      out.write(run.rows(), output);
      String reports = ReportFiles.write(handle.session(), output, run.report());
      RunReport report = run.report();
      spec.commandLine()
          .getOut()
          .printf(
              Locale.ROOT,
              "Wrote %d rows of %s to %s: %d tokens in %.1f s (%.0f tokens/s), placement %s; report in %s%n",
              report.rows(),
              kind,
              output,
              report.tokens(),
              report.wallSeconds(),
              report.tokensPerSecond(),
              report.placement(),
              reports);
    }
    return 0;
  }

  private MoeInference inference() {
    MoeInference inference =
        MoeInference.of(model.toAbsolutePath().toString())
            .idColumn(idColumn)
            .tokensColumn(tokensColumn)
            .output(kind);
    if (placement != null) inference = inference.placement(placement);
    if (backend != null) inference = inference.backend(backend);
    if (activationDtype != null) inference = inference.activationDtype(activationDtype);
    if (partitions != null) inference = inference.partitions(partitions);
    if (slots != null) inference = inference.slots(slots);
    if (onInvalidToken != null) inference = inference.onInvalidToken(onInvalidToken);
    if (waveRows != null) inference = inference.waveRows(waveRows);
    return balance(inference);
  }

  private MoeInference balance(MoeInference inference) {
    if (sampleRows != null) inference = inference.sampleRows(sampleRows);
    if (replicas != null) inference = inference.replicas(replicas);
    if (capacityFactor != null) inference = inference.option("capacity-factor", capacityFactor);
    if (dataParallel != null) inference = inference.dataParallel(dataParallel);
    if (expertTp != null) inference = inference.expertTp(expertTp);
    if (slotMemory != null) inference = inference.slotMemory(slotMemory);
    return inference;
  }
}
