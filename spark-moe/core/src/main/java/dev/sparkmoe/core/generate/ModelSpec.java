package dev.sparkmoe.core.generate;

import dev.sparkmoe.core.safetensors.DType;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The shape of a synthetic Mixtral-layout model. Immutable; derive variants with {@link
 * #toBuilder()}.
 *
 * @param attention whether layers have attention (false: every layer is a pure MoE layer)
 * @param tieEmbeddings whether the LM head reuses the embedding matrix
 * @param routerSkew extra router bias towards expert 0 of every layer (0: the natural unevenness
 *     only; a few units make expert 0 take most tokens, to test skew)
 */
public record ModelSpec(
    int layers,
    int experts,
    int topK,
    int hidden,
    int ffn,
    int vocab,
    int heads,
    int kvHeads,
    int maxPositions,
    DType dtype,
    boolean attention,
    boolean tieEmbeddings,
    float routerSkew,
    long seed) {

  /** Named starting points. */
  public enum Preset {
    /** For tests: every dimension small, f32. */
    TINY("tiny", new ModelSpec(2, 8, 2, 64, 96, 512, 4, 2, 2048, DType.F32, true, false, 0f, 42)),
    /**
     * The reference experiment's shape at a size one CPU can run: 4 layers × 16 experts, top-2,
     * FP16.
     */
    SEED_4X16(
        "seed-4x16",
        new ModelSpec(4, 16, 2, 1024, 2816, 32000, 16, 4, 4096, DType.F16, true, false, 0f, 42));

    private final String cliName;
    private final ModelSpec spec;

    Preset(String cliName, ModelSpec spec) {
      this.cliName = cliName;
      this.spec = spec;
    }

    public String cliName() {
      return cliName;
    }

    public ModelSpec spec() {
      return spec;
    }

    public static Preset parse(String name) {
      for (Preset preset : values()) {
        if (preset.cliName.equals(name)) {
          return preset;
        }
      }
      throw new IllegalArgumentException(
          String.format(
              "Invalid preset: %s (expected: one of %s)",
              name,
              Arrays.stream(values()).map(Preset::cliName).collect(Collectors.joining(", "))));
    }
  }

  public ModelSpec {
    positive("layers", layers);
    positive("experts", experts);
    positive("hidden", hidden);
    positive("ffn", ffn);
    positive("vocab", vocab);
    positive("heads", heads);
    positive("kv-heads", kvHeads);
    positive("max-positions", maxPositions);
    if (topK < 1 || topK > experts) {
      throw new IllegalArgumentException(
          String.format("Invalid top-k: %d (expected: 1 <= top-k <= experts %d)", topK, experts));
    }
    if (hidden % heads != 0 || (hidden / heads) % 2 != 0) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid hidden: %d (expected: a multiple of heads %d giving an even head size)",
              hidden, heads));
    }
    if (!(routerSkew >= 0)) {
      throw new IllegalArgumentException(
          String.format("Invalid router-skew: %s (expected: a non-negative number)", routerSkew));
    }
    if (heads % kvHeads != 0) {
      throw new IllegalArgumentException(
          String.format("Invalid kv-heads: %d (expected: a divisor of heads %d)", kvHeads, heads));
    }
  }

  private static void positive(String name, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(
          String.format("Invalid %s: %d (expected: a positive integer)", name, value));
    }
  }

  /**
   * Embedding scale: small enough that a tied LM head gives logits of order a few units at any
   * width, large enough to keep the token signal visible next to the layers' contributions.
   */
  public double embeddingStd() {
    return 2 / Math.sqrt(hidden);
  }

  public int headDim() {
    return hidden / heads;
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Changes some fields of a spec; {@link #build()} validates. */
  public static final class Builder {
    private int layers;
    private int experts;
    private int topK;
    private int hidden;
    private int ffn;
    private int vocab;
    private int heads;
    private int kvHeads;
    private int maxPositions;
    private DType dtype;
    private boolean attention;
    private boolean tieEmbeddings;
    private float routerSkew;
    private long seed;

    private Builder(ModelSpec s) {
      layers = s.layers;
      experts = s.experts;
      topK = s.topK;
      hidden = s.hidden;
      ffn = s.ffn;
      vocab = s.vocab;
      heads = s.heads;
      kvHeads = s.kvHeads;
      maxPositions = s.maxPositions;
      dtype = s.dtype;
      attention = s.attention;
      tieEmbeddings = s.tieEmbeddings;
      routerSkew = s.routerSkew;
      seed = s.seed;
    }

    public Builder layers(int value) {
      layers = value;
      return this;
    }

    public Builder experts(int value) {
      experts = value;
      return this;
    }

    public Builder topK(int value) {
      topK = value;
      return this;
    }

    public Builder hidden(int value) {
      hidden = value;
      return this;
    }

    public Builder ffn(int value) {
      ffn = value;
      return this;
    }

    public Builder vocab(int value) {
      vocab = value;
      return this;
    }

    public Builder heads(int value) {
      heads = value;
      return this;
    }

    public Builder kvHeads(int value) {
      kvHeads = value;
      return this;
    }

    public Builder maxPositions(int value) {
      maxPositions = value;
      return this;
    }

    public Builder dtype(DType value) {
      dtype = value;
      return this;
    }

    /** Every layer a pure MoE layer: no attention tensors. */
    public Builder withoutAttention() {
      attention = false;
      return this;
    }

    public Builder tiedEmbeddings() {
      tieEmbeddings = true;
      return this;
    }

    public Builder routerSkew(float value) {
      routerSkew = value;
      return this;
    }

    public Builder seed(long value) {
      seed = value;
      return this;
    }

    public ModelSpec build() {
      return new ModelSpec(
          layers,
          experts,
          topK,
          hidden,
          ffn,
          vocab,
          heads,
          kvHeads,
          maxPositions,
          dtype,
          attention,
          tieEmbeddings,
          routerSkew,
          seed);
    }
  }
}
