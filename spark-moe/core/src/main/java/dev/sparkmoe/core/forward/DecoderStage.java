package dev.sparkmoe.core.forward;

import dev.sparkmoe.core.model.DenseWeights;
import dev.sparkmoe.core.model.LayerWeights;
import dev.sparkmoe.core.model.MlpWeights;
import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.model.MoeWeights;
import dev.sparkmoe.core.nn.Attention;
import dev.sparkmoe.core.nn.Bf16Gemm;
import dev.sparkmoe.core.nn.Bf16Matrix;
import dev.sparkmoe.core.nn.ComputeDtype;
import dev.sparkmoe.core.nn.FeedForward;
import dev.sparkmoe.core.nn.KvCache;
import dev.sparkmoe.core.nn.RmsNorm;
import dev.sparkmoe.core.nn.Rope;
import dev.sparkmoe.core.nn.RowBlockGemm;
import dev.sparkmoe.core.routing.Router;
import dev.sparkmoe.core.routing.Routing;

/**
 * Everything of a decoder layer that runs where a row's tokens live — attention, norms, the router,
 * the shared expert and the MLP of dense layers — that is, all but the routed experts. The
 * reference forward and the pipeline's token owner both run their layers through it, so their
 * arithmetic is the same operation for operation.
 *
 * <p>Per layer, on the residual stream {@code h} (updated in place):
 *
 * <ol>
 *   <li>{@code h += attention(inputNorm(h))}, for layers with attention;
 *   <li>{@code x = postAttentionNorm(h)};
 *   <li>a dense layer: {@code h += mlp(x)}, and there is nothing to route;
 *   <li>a MoE layer: {@code h += shared(x)} (times {@code sigmoid(gate · x)} for Qwen2-MoE) when
 *       the family has a shared expert, and the routing of {@code x} is returned: the caller adds
 *       {@code Σ weight · expert(x)} in ascending expert id.
 * </ol>
 *
 * <p>{@code transformers} adds the shared and routed outputs first and the residual last; adding
 * the shared expert to the residual first is the same sum rounded in another order (an ulp per
 * layer), and it lets the pipeline keep the shared expert on the token owner without carrying its
 * output through the exchanges.
 *
 * <p>Thread-safe: holds only shared read-only weights, immutable routers and one {@link Attention}
 * for all layers, whose RoPE table grows to the longest sequence seen.
 */
public final class DecoderStage {
  private final ModelConfig config;
  private final DenseWeights dense;
  private final Router[] routers;
  private final Attention attention;

  public DecoderStage(ModelConfig config, DenseWeights dense) {
    this.config = config;
    this.dense = dense;
    this.attention = new Attention(config, new Rope(config.headDim(), config.ropeTheta()));
    this.routers = new Router[config.numLayers()];
    for (int layer = 0; layer < routers.length; layer++) {
      MoeWeights moe = dense.layers().get(layer).moe();
      if (moe != null) {
        routers[layer] =
            config.router().create(config.numExperts(), config.topK(), moe.correctionBias());
      }
    }
  }

  /**
   * The dense weights as this stage computes with them in {@code dtype}: all f32 for {@link
   * ComputeDtype#F32}; for {@link ComputeDtype#BF16} the attention projections held as {@link
   * Bf16Matrix} (no f32 copy) and everything else — router, norms, shared expert, embedding, LM
   * head — f32. The caller owns the result and closes it.
   *
   * @throws IllegalStateException for bf16 where it is unavailable (see {@link Bf16Gemm#check()})
   */
  public static DenseWeights loadDense(MoeModel model, ComputeDtype dtype) {
    if (dtype == ComputeDtype.F32) {
      return model.loadDense();
    }
    Bf16Gemm.check();
    return model.loadDensePacked(Bf16Matrix::ofBits);
  }

  /** The router of a MoE layer; null for a dense layer. */
  public Router router(int layer) {
    return routers[layer];
  }

  /**
   * Runs the token side of {@code layer} on the residual of a batch of rows.
   *
   * @param residual [numTokens, hidden], updated in place
   * @param rowOffsets row r owns token rows [rowOffsets[r], rowOffsets[r + 1]); rows may be empty
   * @param x receives the normalized input of the feed-forward, [numTokens, hidden]
   * @return the routing of {@code x}, or null for a dense layer
   */
  public Routing run(int layer, float[] residual, int[] rowOffsets, float[] x) {
    return run(layer, residual, rowOffsets, new int[rowOffsets.length - 1], x);
  }

  /**
   * As {@link #run(int, float[], int[], float[])}, row r's first token at position {@code
   * firstPositions[r]} (0 for a whole row; later positions for the new tokens of a row whose
   * earlier ones a KV cache holds).
   */
  public Routing run(
      int layer, float[] residual, int[] rowOffsets, int[] firstPositions, float[] x) {
    LayerWeights weights = dense.layers().get(layer);
    int total = rowOffsets[rowOffsets.length - 1];
    if (weights.hasAttention()) {
      RmsNorm.apply(
          residual, total, config.hiddenSize(), weights.inputNorm(), config.rmsNormEps(), x);
      float[] delta = new float[total * config.hiddenSize()];
      attention.applyRows(weights.attention(), x, rowOffsets, firstPositions, delta);
      addInPlace(residual, delta);
    }
    return afterAttention(layer, weights, residual, total, x);
  }

  /**
   * As {@link #run(int, float[], int[], float[])} for rows whose earlier positions {@code caches}
   * hold (one per row): row r's tokens follow its cached ones, and their keys and values are
   * appended to its cache ({@link Attention#applyCached}).
   */
  public Routing run(int layer, float[] residual, int[] rowOffsets, KvCache[] caches, float[] x) {
    LayerWeights weights = dense.layers().get(layer);
    int total = rowOffsets[rowOffsets.length - 1];
    if (weights.hasAttention()) {
      RmsNorm.apply(
          residual, total, config.hiddenSize(), weights.inputNorm(), config.rmsNormEps(), x);
      float[] delta = new float[total * config.hiddenSize()];
      attention.applyCached(weights.attention(), layer, x, rowOffsets, caches, delta);
      addInPlace(residual, delta);
    }
    return afterAttention(layer, weights, residual, total, x);
  }

  private Routing afterAttention(
      int layer, LayerWeights weights, float[] residual, int total, float[] x) {
    int hidden = config.hiddenSize();
    float eps = config.rmsNormEps();
    RmsNorm.apply(residual, total, hidden, weights.postAttentionNorm(), eps, x);
    if (!weights.isMoe()) {
      addInPlace(residual, mlp(weights.mlp(), x, total));
      return null;
    }
    MoeWeights moe = weights.moe();
    if (moe.sharedExpert() != null) {
      addInPlace(residual, sharedExpert(moe, x, total));
    }
    return MoeBlock.route(routers[layer], moe.router(), x, total, hidden);
  }

  private static float[] mlp(MlpWeights weights, float[] x, int total) {
    float[] out = new float[total * weights.hidden()];
    FeedForward.apply(weights, x, total, out);
    return out;
  }

  /** The shared expert's output, scaled by its sigmoid gate where the family has one. */
  private static float[] sharedExpert(MoeWeights moe, float[] x, int total) {
    float[] out = mlp(moe.sharedExpert(), x, total);
    if (moe.sharedExpertGate() == null) {
      return out;
    }
    int hidden = moe.sharedExpert().hidden();
    float[] gate = new float[total];
    RowBlockGemm.multiplyTransposed(x, total, hidden, moe.sharedExpertGate(), 1, gate);
    for (int t = 0; t < total; t++) {
      float scale = 1f / (1f + (float) Math.exp(-gate[t]));
      for (int i = 0; i < hidden; i++) {
        out[t * hidden + i] = scale * out[t * hidden + i];
      }
    }
    return out;
  }

  private static void addInPlace(float[] target, float[] delta) {
    for (int i = 0; i < delta.length; i++) {
      target[i] += delta[i];
    }
  }
}
