package dev.sparkmoe.core.forward;

import dev.sparkmoe.core.model.DenseWeights;
import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.nn.KvCache;
import dev.sparkmoe.core.nn.RmsNorm;
import dev.sparkmoe.core.routing.Routing;
import java.util.List;

/**
 * The decoder loop, written once: embedding, per layer the token side ({@link DecoderStage}), the
 * routed experts ({@link ExpertStep}) and the residual add, final RMSNorm. {@link #run} drives the
 * whole loop with an expert step that answers in place (experts in this process, or an exchange
 * that waits). An engine that cannot wait inside the loop — each layer of the Spark pipeline is a
 * stage of its own — drives the same pieces step by step: {@link #embed}, {@link #layer}, {@link
 * #addExperts}, {@link #finish}.
 *
 * <p>A batch of rows is packed: row r owns token rows {@code [rowOffsets[r], rowOffsets[r + 1])} of
 * the [numTokens, hidden] residual stream; rows may be empty. Thread-safe: holds only shared
 * read-only weights.
 */
public final class DecoderLoop {
  private final ModelConfig config;
  private final DenseWeights dense;
  private final DecoderStage stage;

  public DecoderLoop(ModelConfig config, DenseWeights dense) {
    this.config = config;
    this.dense = dense;
    this.stage = new DecoderStage(config, dense);
  }

  public ModelConfig config() {
    return config;
  }

  public DecoderStage stage() {
    return stage;
  }

  /** The row offsets of {@code rows} packed in order: {@code numRows + 1} entries from 0. */
  public static int[] rowOffsets(List<int[]> rows) {
    int[] offsets = new int[rows.size() + 1];
    for (int r = 0; r < rows.size(); r++) {
      offsets[r + 1] = offsets[r] + rows.get(r).length;
    }
    return offsets;
  }

  /**
   * The residual stream before layer 0: every token's embedding, packed [numTokens, hidden].
   *
   * @param rows token ids, checked against the vocabulary by the caller
   */
  public float[] embed(List<int[]> rows) {
    int hidden = config.hiddenSize();
    int total = 0;
    for (int[] row : rows) {
      total += row.length;
    }
    float[] residual = new float[total * hidden];
    int t = 0;
    for (int[] row : rows) {
      for (int token : row) {
        System.arraycopy(dense.embedding(), token * hidden, residual, t++ * hidden, hidden);
      }
    }
    return residual;
  }

  /**
   * The token side of {@code layer} ({@link DecoderStage#run}): updates the residual in place and
   * writes the experts' normalized input to {@code x}.
   *
   * @return the routing of {@code x}, or null for a dense layer (nothing to send to experts)
   */
  public Routing layer(int layer, float[] residual, int[] rowOffsets, float[] x) {
    return stage.run(layer, residual, rowOffsets, x);
  }

  /**
   * The token side of {@code layer} for rows whose earlier positions {@code caches} hold ({@link
   * DecoderStage#run(int, float[], int[], KvCache[], float[])}).
   */
  public Routing layer(int layer, float[] residual, int[] rowOffsets, KvCache[] caches, float[] x) {
    return stage.run(layer, residual, rowOffsets, caches, x);
  }

  /**
   * Runs every layer over the new tokens of rows whose earlier positions {@code caches} hold (a
   * whole prompt on an empty cache, or the next token), appending their keys and values.
   *
   * @param rows each row's new token ids, checked against the vocabulary by the caller
   * @param caches one per row, updated
   * @return final-normalized hidden states of the new tokens
   */
  public FinalHidden run(List<int[]> rows, KvCache[] caches, ExpertStep experts) {
    int[] offsets = rowOffsets(rows);
    float[] residual = embed(rows);
    float[] x = new float[residual.length];
    for (int layer = 0; layer < config.numLayers(); layer++) {
      Routing routing = layer(layer, residual, offsets, caches, x);
      if (routing != null) {
        addExperts(residual, experts.apply(layer, routing, x));
      }
    }
    return finish(residual, offsets);
  }

  /** Adds a layer's MoE output ([numTokens, hidden]) to the residual, in place. */
  public static void addExperts(float[] residual, float[] moe) {
    for (int i = 0; i < residual.length; i++) {
      residual[i] += moe[i];
    }
  }

  /** The final RMSNorm over the residual: what the output head reads. */
  public FinalHidden finish(float[] residual, int[] rowOffsets) {
    int total = rowOffsets[rowOffsets.length - 1];
    int hidden = config.hiddenSize();
    float[] out = new float[total * hidden];
    RmsNorm.apply(residual, total, hidden, dense.finalNorm(), config.rmsNormEps(), out);
    return new FinalHidden(out, rowOffsets, hidden);
  }

  /**
   * Runs every layer over {@code rows}, the routed experts through {@code experts}.
   *
   * @param rows token ids, checked against the vocabulary by the caller
   * @return final-normalized hidden states of every token
   */
  public FinalHidden run(List<int[]> rows, ExpertStep experts) {
    int[] offsets = rowOffsets(rows);
    float[] residual = embed(rows);
    float[] x = new float[residual.length];
    for (int layer = 0; layer < config.numLayers(); layer++) {
      Routing routing = layer(layer, residual, offsets, x);
      if (routing != null) {
        addExperts(residual, experts.apply(layer, routing, x));
      }
    }
    return finish(residual, offsets);
  }
}
