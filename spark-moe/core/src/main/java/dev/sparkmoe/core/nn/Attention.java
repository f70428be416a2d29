package dev.sparkmoe.core.nn;

import dev.sparkmoe.core.model.AttentionWeights;
import dev.sparkmoe.core.model.ModelConfig;

/**
 * Causal grouped-query self-attention of one sequence, Hugging Face eager semantics: RoPE on
 * queries and keys, scores at {@code 1/sqrt(headDim)}, causal (and, if configured, sliding-window)
 * mask, f32 softmax, output projection. Stateless apart from its configuration; thread-safe.
 */
public final class Attention {
  private final ModelConfig config;
  private final Rope rope;
  private final float scale;

  public Attention(ModelConfig config, Rope rope) {
    this.config = config;
    this.rope = rope;
    this.scale = (float) (1.0 / Math.sqrt(config.headDim()));
  }

  /**
   * Attention output (before the residual add) for one sequence.
   *
   * @param x normalized input, rows {@code [offsetTokens, offsetTokens + n)} of a [*, hidden]
   *     matrix
   * @param out receives the output at the same rows, [*, hidden]
   */
  public void apply(AttentionWeights weights, float[] x, int offsetTokens, int n, float[] out) {
    int hidden = config.hiddenSize();
    int qWidth = config.queryWidth();
    int kvWidth = config.kvWidth();
    float[] q = new float[n * qWidth];
    float[] k = new float[n * kvWidth];
    float[] v = new float[n * kvWidth];
    int xOffset = offsetTokens * hidden;
    Gemm.multiplyTransposed(
        x, xOffset, hidden, n, hidden, weights.query(), 0, hidden, qWidth, q, 0, qWidth);
    Gemm.multiplyTransposed(
        x, xOffset, hidden, n, hidden, weights.key(), 0, hidden, kvWidth, k, 0, kvWidth);
    Gemm.multiplyTransposed(
        x, xOffset, hidden, n, hidden, weights.value(), 0, hidden, kvWidth, v, 0, kvWidth);
    rope.apply(q, 0, qWidth, n, config.numHeads());
    rope.apply(k, 0, kvWidth, n, config.numKvHeads());
    float[] context = new float[n * qWidth];
    float[] scores = new float[n * n];
    float[][] keys = splitHeads(k, n, config.numKvHeads());
    float[][] values = splitHeads(v, n, config.numKvHeads());
    float[][] queries = splitHeads(q, n, config.numHeads());
    int groupSize = config.numHeads() / config.numKvHeads();
    for (int head = 0; head < config.numHeads(); head++) {
      int kvHead = head / groupSize;
      attendHead(
          queries[head], keys[kvHead], values[kvHead], n, scores, context, head * config.headDim());
    }
    Gemm.multiplyTransposed(
        context, 0, qWidth, n, qWidth, weights.output(), 0, hidden, hidden, out, xOffset, hidden);
  }

  /**
   * Copies each head of [n, numHeads * headDim] into its own dense [n, headDim] matrix: BLAS then
   * sees unstrided operands (netlib's bounds check rejects a strided sub-matrix that ends before
   * its last full row).
   */
  private float[][] splitHeads(float[] x, int n, int numHeads) {
    int headDim = config.headDim();
    int width = numHeads * headDim;
    float[][] heads = new float[numHeads][n * headDim];
    for (int t = 0; t < n; t++) {
      for (int h = 0; h < numHeads; h++) {
        System.arraycopy(x, t * width + h * headDim, heads[h], t * headDim, headDim);
      }
    }
    return heads;
  }

  /**
   * One head: softmax(q kᵀ · scale, causal) v, written into columns [column, column + headDim) of
   * context.
   */
  private void attendHead(
      float[] q, float[] k, float[] v, int n, float[] scores, float[] context, int column) {
    int headDim = config.headDim();
    Gemm.multiplyTransposed(q, n, headDim, k, n, scores);
    for (int i = 0; i < n; i++) {
      softmaxCausalRow(scores, i, n);
    }
    Gemm.multiply(scores, 0, n, n, n, v, 0, headDim, headDim, context, column, config.queryWidth());
  }

  /** Scales row {@code i}, masks keys after {@code i} (and outside the window), softmax in f32. */
  private void softmaxCausalRow(float[] scores, int i, int n) {
    int base = i * n;
    int window = config.slidingWindow();
    int first = window > 0 ? Math.max(0, i - window + 1) : 0;
    float max = Float.NEGATIVE_INFINITY;
    for (int j = first; j <= i; j++) {
      scores[base + j] *= scale;
      max = Math.max(max, scores[base + j]);
    }
    float sum = 0f;
    for (int j = first; j <= i; j++) {
      float e = (float) Math.exp(scores[base + j] - max);
      scores[base + j] = e;
      sum += e;
    }
    for (int j = 0; j < n; j++) {
      scores[base + j] = j >= first && j <= i ? scores[base + j] / sum : 0f;
    }
  }
}
