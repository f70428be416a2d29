package dev.sparkmoe.core.nn;

import dev.sparkmoe.core.model.AttentionSpec;
import dev.sparkmoe.core.model.AttentionWeights;
import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.model.PackedMatrix;
import dev.sparkmoe.core.model.PackedProjections;

/**
 * Causal grouped-query self-attention of one sequence, Hugging Face eager semantics: projections
 * (with biases where the family has them), QK RMSNorm (per head for Qwen3-MoE, over the whole
 * projection for OLMoE), OLMoE's clamp, RoPE on queries and keys, scores at {@code
 * 1/sqrt(headDim)}, causal (and, if configured, sliding-window) mask, f32 softmax, output
 * projection. The four projections run in f32, or in bf16 with f32 accumulation where the weights
 * hold them packed ({@link AttentionWeights#packed()}, {@link Bf16Matrix}); everything else is f32.
 * Stateless apart from its configuration and its RoPE table, which grows on demand; thread-safe,
 * and one instance serves every call of a layer (or a model).
 *
 * <p>Each sequence's tokens carry positions ({@link #applyRows(AttentionWeights, float[], int[],
 * int[], float[])}): RoPE rotates them there. The keys and values are those of the call's tokens
 * only; a KV cache, when there is one, supplies a sequence's earlier positions.
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
    float[] rows =
        java.util.Arrays.copyOfRange(x, offsetTokens * hidden, (offsetTokens + n) * hidden);
    float[] result = new float[n * hidden];
    applyRows(weights, rows, new int[] {0, n}, result);
    System.arraycopy(result, 0, out, offsetTokens * hidden, n * hidden);
  }

  /**
   * Attention output (before the residual add) for a batch of sequences: the Q, K, V and output
   * projections run over all the batch's tokens, in fixed row blocks ({@link RowBlockGemm}) so that
   * a token's result does not depend on the other sequences of the batch; the scores per sequence.
   *
   * @param x normalized input, [total, hidden] with {@code total = rowOffsets[last]}
   * @param rowOffsets sequence r owns token rows [rowOffsets[r], rowOffsets[r + 1]); may be empty
   * @param out receives the output, [total, hidden] (overwritten)
   */
  public void applyRows(AttentionWeights weights, float[] x, int[] rowOffsets, float[] out) {
    applyRows(weights, x, rowOffsets, new int[rowOffsets.length - 1], out);
  }

  /**
   * As {@link #applyRows(AttentionWeights, float[], int[], float[])}, sequence r's first token at
   * position {@code firstPositions[r]} (0 for a whole sequence).
   *
   * @param firstPositions one per sequence, {@code rowOffsets.length - 1} of them
   */
  public void applyRows(
      AttentionWeights weights, float[] x, int[] rowOffsets, int[] firstPositions, float[] out) {
    if (firstPositions.length != rowOffsets.length - 1) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid first positions: %d of them (expected: one per sequence, %d)",
              firstPositions.length, rowOffsets.length - 1));
    }
    int total = rowOffsets[rowOffsets.length - 1];
    int hidden = config.hiddenSize();
    int qWidth = config.queryWidth();
    int kvWidth = config.kvWidth();
    PackedProjections packed = weights.packed();
    boolean isPacked = packed != null;
    Qkv qkv = queriesKeysValues(weights, x, total);
    float[] q = qkv.q();
    float[] k = qkv.k();
    float[] v = qkv.v();
    float[] context = new float[total * qWidth];
    for (int r = 0; r + 1 < rowOffsets.length; r++) {
      int first = rowOffsets[r];
      int n = rowOffsets[r + 1] - first;
      if (n > 0) {
        float[] rowContext =
            attendSequence(
                slice(q, first, n, qWidth),
                slice(k, first, n, kvWidth),
                slice(v, first, n, kvWidth),
                n,
                firstPositions[r]);
        System.arraycopy(rowContext, 0, context, first * qWidth, n * qWidth);
      }
    }
    multiply(
        context, total, qWidth, weights.output(), isPacked ? packed.output() : null, hidden, out);
    addBias(out, 0, total, weights.outputBias());
  }

  /**
   * As {@link #applyRows(AttentionWeights, float[], int[], int[], float[])} for sequences whose
   * earlier positions {@code caches} hold: sequence r's tokens start at position {@code
   * caches[r].length(layer)}, their keys and values are appended to its cache, and its queries
   * attend to every cached key (causal, and within the sliding window where there is one). A prompt
   * on an empty cache (prefill) and one new token per sequence (decode) are the same call.
   *
   * @param caches one per sequence, {@code rowOffsets.length - 1} of them; updated
   */
  public void applyCached(
      AttentionWeights weights,
      int layer,
      float[] x,
      int[] rowOffsets,
      KvCache[] caches,
      float[] out) {
    if (caches.length != rowOffsets.length - 1) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid KV caches: %d of them (expected: one per sequence, %d)",
              caches.length, rowOffsets.length - 1));
    }
    int total = rowOffsets[rowOffsets.length - 1];
    int qWidth = config.queryWidth();
    int kvWidth = config.kvWidth();
    PackedProjections packed = weights.packed();
    boolean isPacked = packed != null;
    Qkv qkv = queriesKeysValues(weights, x, total);
    float[] q = qkv.q();
    float[] k = qkv.k();
    float[] v = qkv.v();
    float[] context = new float[total * qWidth];
    for (int r = 0; r < caches.length; r++) {
      int first = rowOffsets[r];
      int n = rowOffsets[r + 1] - first;
      if (n > 0) {
        int position = caches[r].length(layer);
        rope.apply(q, first * qWidth, qWidth, n, config.numHeads(), position);
        rope.apply(k, first * kvWidth, kvWidth, n, config.numKvHeads(), position);
        caches[r].append(layer, slice(k, first, n, kvWidth), slice(v, first, n, kvWidth), n);
        attendCached(slice(q, first, n, qWidth), caches[r], layer, n, position, context, first);
      }
    }
    multiply(
        context,
        total,
        qWidth,
        weights.output(),
        isPacked ? packed.output() : null,
        config.hiddenSize(),
        out);
    addBias(out, 0, total, weights.outputBias());
  }

  /**
   * The context of {@code n} queries at positions {@code [position, position + n)} against the
   * {@code position + n} cached keys, into rows {@code [firstRow, firstRow + n)} of context.
   */
  private void attendCached(
      float[] q, KvCache cache, int layer, int n, int position, float[] context, int firstRow) {
    int headDim = config.headDim();
    int qWidth = config.queryWidth();
    int keysTotal = position + n;
    float[] scores = new float[n * keysTotal];
    float[] headContext = new float[n * headDim];
    float[][] queries = splitHeads(q, n, config.numHeads());
    int groupSize = config.numHeads() / config.numKvHeads();
    for (int head = 0; head < config.numHeads(); head++) {
      int kvHead = head / groupSize;
      Gemm.multiplyTransposed(
          queries[head], n, headDim, cache.keys(layer, kvHead), keysTotal, scores);
      for (int i = 0; i < n; i++) {
        softmaxRow(scores, i * keysTotal, position + i, keysTotal);
      }
      Gemm.multiply(
          scores,
          0,
          keysTotal,
          n,
          keysTotal,
          cache.values(layer, kvHead),
          0,
          headDim,
          headDim,
          headContext,
          0,
          headDim);
      for (int i = 0; i < n; i++) {
        System.arraycopy(
            headContext, i * headDim, context, (firstRow + i) * qWidth + head * headDim, headDim);
      }
    }
  }

  /** RoPE from {@code firstPosition}, then causal attention: one sequence's [n, qWidth] context. */
  private float[] attendSequence(float[] q, float[] k, float[] v, int n, int firstPosition) {
    rope.apply(q, 0, config.queryWidth(), n, config.numHeads(), firstPosition);
    rope.apply(k, 0, config.kvWidth(), n, config.numKvHeads(), firstPosition);
    return attend(q, k, v, n);
  }

  private static float[] slice(float[] x, int firstRow, int n, int width) {
    return java.util.Arrays.copyOfRange(x, firstRow * width, (firstRow + n) * width);
  }

  /** {@code x · Wᵀ} for the {@code n} rows of {@code x}, into a new [n, width] array. */
  /** Queries, keys and values of a batch of rows: projected, biased, QK-normalized and clipped. */
  private record Qkv(float[] q, float[] k, float[] v) {}

  /** The {@link Qkv} of {@code total} rows of {@code x}, before RoPE. */
  private Qkv queriesKeysValues(AttentionWeights weights, float[] x, int total) {
    int qWidth = config.queryWidth();
    int kvWidth = config.kvWidth();
    PackedProjections packed = weights.packed();
    boolean isPacked = packed != null;
    float[] q = project(x, total, weights.query(), isPacked ? packed.query() : null, qWidth);
    float[] k = project(x, total, weights.key(), isPacked ? packed.key() : null, kvWidth);
    float[] v = project(x, total, weights.value(), isPacked ? packed.value() : null, kvWidth);
    addBias(q, 0, total, weights.queryBias());
    addBias(k, 0, total, weights.keyBias());
    addBias(v, 0, total, weights.valueBias());
    normalize(q, total, config.numHeads(), weights.queryNorm());
    normalize(k, total, config.numKvHeads(), weights.keyNorm());
    clamp(q);
    clamp(k);
    clamp(v);
    return new Qkv(q, k, v);
  }

  private float[] project(float[] x, int n, float[] weight, PackedMatrix packed, int width) {
    float[] y = new float[n * width];
    multiply(x, n, config.hiddenSize(), weight, packed, width, y);
    return y;
  }

  /**
   * {@code c[n, width] = a[n, k] · Wᵀ}: with {@code packed} where it is set (bf16), else with the
   * f32 {@code weight} in fixed row blocks.
   */
  private static void multiply(
      float[] a, int n, int k, float[] weight, PackedMatrix packed, int width, float[] c) {
    if (packed != null) {
      packed.multiplyTransposed(a, 0, k, n, c, 0, width);
    } else {
      RowBlockGemm.multiplyTransposed(a, 0, k, n, k, weight, 0, k, width, c, 0, width);
    }
  }

  /** Softmax attention of every query head over its key/value head: the [n, qWidth] context. */
  private float[] attend(float[] q, float[] k, float[] v, int n) {
    float[] context = new float[n * config.queryWidth()];
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
    return context;
  }

  /** Adds {@code bias} (null: none) to each of the {@code n} rows of {@code x} from {@code at}. */
  private static void addBias(float[] x, int at, int n, float[] bias) {
    if (bias == null) {
      return;
    }
    for (int t = 0; t < n; t++) {
      int base = at + t * bias.length;
      for (int i = 0; i < bias.length; i++) {
        x[base + i] += bias[i];
      }
    }
  }

  /**
   * RMS-normalizes, in place, queries or keys of {@code n} tokens with {@code numHeads} heads: per
   * head for {@link AttentionSpec.QkNorm#PER_HEAD}, else over the whole projection. Null: no norm.
   */
  private void normalize(float[] x, int n, int numHeads, float[] weight) {
    if (weight == null) {
      return;
    }
    boolean perHead = config.attention().qkNorm() == AttentionSpec.QkNorm.PER_HEAD;
    RmsNorm.apply(x, perHead ? n * numHeads : n, weight.length, weight, config.rmsNormEps(), x);
  }

  /** OLMoE's {@code clip_qkv}: clamps every value to {@code [-clip, clip]}; 0 is no clamp. */
  private void clamp(float[] x) {
    float clip = config.attention().clipQkv();
    if (clip == 0f) {
      return;
    }
    for (int i = 0; i < x.length; i++) {
      x[i] = Math.max(-clip, Math.min(clip, x[i]));
    }
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
    softmaxRow(scores, i * n, i, n);
  }

  /**
   * The row at {@code base} of a [*, n] score matrix for a query at position {@code i}: scaled,
   * keys after {@code i} and outside the window masked, softmax in f32.
   */
  private void softmaxRow(float[] scores, int base, int i, int n) {
    int window = config.slidingWindow();
    int first = window > 0 ? Math.max(0, i - window + 1) : 0;
    float max = Float.NEGATIVE_INFINITY;
    for (int j = first; j <= i; j++) {
      scores[base + j] *= scale;
      max = Math.max(max, scores[base + j]);
    }
    float sum = 0f;
    for (int j = first; j <= i; j++) {
      float e = FloatExp.exp(scores[base + j] - max);
      scores[base + j] = e;
      sum += e;
    }
    for (int j = 0; j < n; j++) {
      scores[base + j] = j >= first && j <= i ? scores[base + j] / sum : 0f;
    }
  }
}
