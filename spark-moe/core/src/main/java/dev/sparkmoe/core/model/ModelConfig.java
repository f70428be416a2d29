package dev.sparkmoe.core.model;

import dev.sparkmoe.core.routing.RouterSpec;
import dev.sparkmoe.core.routing.TopKNormalization;

/**
 * The shape and constants of a Mixture-of-Experts decoder, as read from {@code config.json} with
 * the Hugging Face defaults of its family applied. Immutable.
 *
 * @param architecture the model family
 * @param hiddenSize model width
 * @param intermediateSize each routed expert's FFN width (Mixtral and OLMoE {@code
 *     intermediate_size}; Qwen and DeepSeek-V3 {@code moe_intermediate_size})
 * @param numLayers decoder layers
 * @param numHeads query heads
 * @param numKvHeads key/value heads (grouped-query attention: {@code numHeads} is a multiple)
 * @param headDim width of one head
 * @param numExperts routed experts per MoE layer
 * @param topK experts per token
 * @param vocabSize vocabulary size; valid token ids are {@code 0 <= id < vocabSize}
 * @param rmsNormEps epsilon of every RMSNorm
 * @param ropeTheta RoPE base
 * @param tieWordEmbeddings whether the LM head reuses the embedding matrix
 * @param maxPositionEmbeddings the longest sequence the model accepts
 * @param slidingWindow attention window in tokens, or 0 for full causal attention
 * @param attention biases, QK norm and clamp of the attention
 * @param router how MoE layers route
 * @param feedForward dense layers and shared experts
 */
public record ModelConfig(
    Architecture architecture,
    int hiddenSize,
    int intermediateSize,
    int numLayers,
    int numHeads,
    int numKvHeads,
    int headDim,
    int numExperts,
    int topK,
    int vocabSize,
    float rmsNormEps,
    double ropeTheta,
    boolean tieWordEmbeddings,
    int maxPositionEmbeddings,
    int slidingWindow,
    AttentionSpec attention,
    RouterSpec router,
    FeedForwardSpec feedForward) {

  /** Width of the concatenated query heads. */
  public int queryWidth() {
    return numHeads * headDim;
  }

  /** Width of the concatenated key (or value) heads. */
  public int kvWidth() {
    return numKvHeads * headDim;
  }

  /** Whether {@code layer}'s feed-forward is a MoE block (else a dense MLP). */
  public boolean isMoeLayer(int layer) {
    return feedForward.isMoeLayer(layer);
  }

  /** A builder with Mixtral's semantics for everything not set: see {@link Builder}. */
  public static Builder builder(Architecture architecture) {
    return new Builder(architecture);
  }

  /**
   * Collects a config. Unless set: RMSNorm eps 1e-5, RoPE theta 1e6, separate LM head, 131072
   * positions, no sliding window, {@link AttentionSpec#PLAIN}, a renormalizing softmax router,
   * {@link FeedForwardSpec#ROUTED_ONLY} (Mixtral's values); a head_dim of 0 means hidden / heads.
   * Not thread-safe.
   */
  public static final class Builder {
    private final Architecture architecture;
    private int hiddenSize;
    private int intermediateSize;
    private int numLayers;
    private int numHeads;
    private int numKvHeads;
    private int headDim;
    private int numExperts;
    private int topK;
    private int vocabSize;
    private float rmsNormEps = 1e-5f;
    private double ropeTheta = 1e6;
    private boolean tieWordEmbeddings;
    private int maxPositionEmbeddings = 4096 * 32;
    private int slidingWindow;
    private AttentionSpec attention = AttentionSpec.PLAIN;
    private RouterSpec router = RouterSpec.softmax(TopKNormalization.RENORMALIZE);
    private FeedForwardSpec feedForward = FeedForwardSpec.ROUTED_ONLY;

    private Builder(Architecture architecture) {
      this.architecture = architecture;
    }

    /** Model width, layers and vocabulary. */
    public Builder shape(int hiddenSize, int numLayers, int vocabSize) {
      this.hiddenSize = hiddenSize;
      this.numLayers = numLayers;
      this.vocabSize = vocabSize;
      return this;
    }

    /** Attention heads: query heads, key/value heads and the width of one head. */
    public Builder heads(int numHeads, int numKvHeads, int headDim) {
      this.numHeads = numHeads;
      this.numKvHeads = numKvHeads;
      this.headDim = headDim;
      return this;
    }

    /** Routed experts per MoE layer, experts per token and each expert's FFN width. */
    public Builder experts(int numExperts, int topK, int intermediateSize) {
      this.numExperts = numExperts;
      this.topK = topK;
      this.intermediateSize = intermediateSize;
      return this;
    }

    public Builder rmsNormEps(float value) {
      this.rmsNormEps = value;
      return this;
    }

    public Builder ropeTheta(double value) {
      this.ropeTheta = value;
      return this;
    }

    public Builder tieWordEmbeddings(boolean value) {
      this.tieWordEmbeddings = value;
      return this;
    }

    public Builder maxPositionEmbeddings(int value) {
      this.maxPositionEmbeddings = value;
      return this;
    }

    public Builder slidingWindow(int value) {
      this.slidingWindow = value;
      return this;
    }

    public Builder attention(AttentionSpec value) {
      this.attention = value;
      return this;
    }

    public Builder router(RouterSpec value) {
      this.router = value;
      return this;
    }

    public Builder feedForward(FeedForwardSpec value) {
      this.feedForward = value;
      return this;
    }

    public ModelConfig build() {
      return new ModelConfig(
          architecture,
          hiddenSize,
          intermediateSize,
          numLayers,
          numHeads,
          numKvHeads,
          headDim == 0 && numHeads > 0 ? hiddenSize / numHeads : headDim,
          numExperts,
          topK,
          vocabSize,
          rmsNormEps,
          ropeTheta,
          tieWordEmbeddings,
          maxPositionEmbeddings,
          slidingWindow,
          attention,
          router,
          feedForward);
    }
  }
}
