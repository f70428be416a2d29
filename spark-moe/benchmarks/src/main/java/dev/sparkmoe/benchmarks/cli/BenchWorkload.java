package dev.sparkmoe.benchmarks.cli;

import dev.sparkmoe.core.IoErrors;
import dev.sparkmoe.core.generate.ModelGenerator;
import dev.sparkmoe.core.generate.ModelSpec;
import dev.sparkmoe.core.generate.TokenGenerator;
import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.model.MoeModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The model and rows every system of {@code bench peer} runs: a generated model (reused when the
 * work directory already holds the same spec), rows from {@link TokenGenerator} totalling at least
 * the asked number of tokens, and separate warm-up rows. Batches are formed the same way
 * everywhere: rows are added while a batch holds fewer than {@code batchTokens} tokens.
 *
 * @param modelDir the model directory (config.json + model.safetensors)
 * @param config the model's config
 * @param rows the timed rows
 * @param warmup the untimed rows run first (make experts resident, warm the JIT)
 * @param batchTokens the batch size in tokens
 */
record BenchWorkload(
    Path modelDir, ModelConfig config, List<int[]> rows, List<int[]> warmup, int batchTokens) {
  /** Warm-up rows get ids from here up, so they never repeat a timed row. */
  private static final long WARMUP_IDS = 1L << 40;

  private static final int WARMUP_TOKENS = 1024;
  private static final String MARKER = ".spec";

  /** Makes (or reuses) the model under {@code work} and generates the rows. */
  static BenchWorkload prepare(
      ModelSpec spec, String presetName, Path work, long tokens, TokenGenerator rows, int batch) {
    Path modelDir = model(spec, work.resolve(presetName));
    ModelConfig config;
    try (MoeModel model = MoeModel.open(modelDir)) {
      config = model.config();
    }
    return new BenchWorkload(
        modelDir,
        config,
        rows(rows, 0, tokens),
        rows(rows, WARMUP_IDS, Math.min(tokens, WARMUP_TOKENS)),
        batch);
  }

  int totalTokens() {
    return rows.stream().mapToInt(r -> r.length).sum();
  }

  /** Row indices of each batch, in order. */
  static List<List<Integer>> batches(List<int[]> rows, int batchTokens) {
    List<List<Integer>> batches = new ArrayList<>();
    List<Integer> batch = new ArrayList<>();
    int tokens = 0;
    for (int r = 0; r < rows.size(); r++) {
      batch.add(r);
      tokens += rows.get(r).length;
      if (tokens >= batchTokens) {
        batches.add(batch);
        batch = new ArrayList<>();
        tokens = 0;
      }
    }
    if (!batch.isEmpty()) {
      batches.add(batch);
    }
    return batches;
  }

  /**
   * FLOPs of the forward's necessary work on the timed rows: per token and layer the routed experts
   * ({@code topK · 6 · hidden · ffn}), the attention projections and the router; per row and layer
   * the causal score and value products ({@code 2 · queryWidth · L · (L + 1)}). The LM head is not
   * needed for embeddings and not counted.
   */
  double flops() {
    ModelConfig c = config;
    double h = c.hiddenSize();
    double experts = c.topK() * 6.0 * h * c.intermediateSize();
    double router = 2 * h * c.numExperts();
    double projections = 2 * h * (2.0 * c.queryWidth() + 2.0 * c.kvWidth());
    double attentionLayers = attentionLayers();
    double perToken = c.numLayers() * (experts + router) + attentionLayers * projections;
    double scores = 0;
    for (int[] row : rows) {
      scores += 2.0 * c.queryWidth() * row.length * (row.length + 1.0);
    }
    return perToken * totalTokens() + attentionLayers * scores;
  }

  private int attentionLayers() {
    try (MoeModel model = MoeModel.open(modelDir)) {
      int count = 0;
      for (int layer = 0; layer < config.numLayers(); layer++) {
        count += model.hasAttention(layer) ? 1 : 0;
      }
      return count;
    }
  }

  private static List<int[]> rows(TokenGenerator generator, long firstId, long tokens) {
    List<int[]> rows = new ArrayList<>();
    long total = 0;
    for (long id = firstId; total < tokens; id++) {
      int[] row = generator.tokens(id);
      rows.add(row);
      total += row.length;
    }
    return rows;
  }

  /** The model directory for {@code spec}: reused when its marker says the same spec. */
  private static Path model(ModelSpec spec, Path dir) {
    Path marker = dir.resolve(MARKER);
    try {
      if (Files.isRegularFile(marker) && Files.readString(marker).equals(spec.toString())) {
        return dir;
      }
      new ModelGenerator(spec).writeTo(dir);
      Files.writeString(marker, spec.toString());
      return dir;
    } catch (IOException e) {
      throw IoErrors.cannot("prepare the benchmark model in " + dir, e);
    }
  }
}
