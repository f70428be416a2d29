package dev.sparkmoe.spark.cli;

import dev.sparkmoe.core.generate.ModelGenerator;
import dev.sparkmoe.core.generate.ModelSpec;
import dev.sparkmoe.core.safetensors.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code moe generate-model}: a deterministic synthetic checkpoint in the Mixtral layout. */
@Command(
    name = "generate-model",
    mixinStandardHelpOptions = true,
    description =
        "Write a synthetic Mixtral-layout model (config.json + model.safetensors), deterministic for a seed.")
final class GenerateModelCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--preset",
      defaultValue = "tiny",
      description = "tiny or seed-4x16 (default: ${DEFAULT-VALUE}).")
  String preset;

  @Option(names = "--out", required = true, description = "Output directory.")
  Path out;

  @Option(names = "--layers", description = "Decoder layers.")
  Integer layers;

  @Option(names = "--experts", description = "Routed experts per layer.")
  Integer experts;

  @Option(names = "--top-k", description = "Experts per token.")
  Integer topK;

  @Option(names = "--hidden", description = "Model width.")
  Integer hidden;

  @Option(names = "--ffn", description = "Expert FFN width (intermediate_size).")
  Integer ffn;

  @Option(names = "--vocab", description = "Vocabulary size.")
  Integer vocab;

  @Option(names = "--heads", description = "Attention heads.")
  Integer heads;

  @Option(names = "--kv-heads", description = "Key/value heads.")
  Integer kvHeads;

  @Option(names = "--dtype", description = "f32, f16 or bf16.")
  String dtype;

  @Option(names = "--no-attention", description = "Pure MoE layers: no attention tensors.")
  boolean noAttention;

  @Option(names = "--tie-embeddings", description = "LM head shares the embedding matrix.")
  boolean tieEmbeddings;

  @Option(
      names = "--router-skew",
      description = "Extra router bias towards expert 0 (0: natural unevenness).")
  Float routerSkew;

  @Option(names = "--seed", description = "Random seed.")
  Long seed;

  @Override
  public Integer call() throws Exception {
    ModelSpec modelSpec = spec();
    long start = System.nanoTime();
    new ModelGenerator(modelSpec).writeTo(out);
    long bytes = Files.size(out.resolve("model.safetensors"));
    spec.commandLine()
        .getOut()
        .printf(
            Locale.ROOT,
            "Wrote %s: %d layers x %d experts (top-%d), hidden %d, ffn %d, vocab %d, %s, %.1f MB in %.1f s%n",
            out,
            modelSpec.layers(),
            modelSpec.experts(),
            modelSpec.topK(),
            modelSpec.hidden(),
            modelSpec.ffn(),
            modelSpec.vocab(),
            modelSpec.dtype().safetensorsName(),
            bytes / 1e6,
            (System.nanoTime() - start) / 1e9);
    return 0;
  }

  ModelSpec spec() {
    ModelSpec.Builder builder = ModelSpec.Preset.parse(preset).spec().toBuilder();
    if (layers != null) builder.layers(layers);
    if (experts != null) builder.experts(experts);
    if (topK != null) builder.topK(topK);
    if (hidden != null) builder.hidden(hidden);
    if (ffn != null) builder.ffn(ffn);
    if (vocab != null) builder.vocab(vocab);
    if (heads != null) builder.heads(heads);
    if (kvHeads != null) builder.kvHeads(kvHeads);
    if (dtype != null) builder.dtype(parseDtype(dtype));
    if (noAttention) builder.withoutAttention();
    if (tieEmbeddings) builder.tiedEmbeddings();
    if (routerSkew != null) builder.routerSkew(routerSkew);
    if (seed != null) builder.seed(seed);
    return builder.build();
  }

  private static DType parseDtype(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "f32" -> DType.F32;
      case "f16" -> DType.F16;
      case "bf16" -> DType.BF16;
      default ->
          throw new IllegalArgumentException(
              String.format("Invalid dtype: %s (expected: one of f32, f16, bf16)", name));
    };
  }
}
