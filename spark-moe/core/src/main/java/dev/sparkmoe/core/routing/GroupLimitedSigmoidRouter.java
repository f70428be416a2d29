package dev.sparkmoe.core.routing;

import java.util.Arrays;
import java.util.Objects;

/**
 * Sigmoid scores with group-limited top-k selection and a selection-only bias: DeepSeek-V3's
 * routing, as {@code transformers} 5.18's {@code DeepseekV3TopkRouter} does it.
 *
 * <p>Per token, in fp32:
 *
 * <ol>
 *   <li>{@code score = sigmoid(logit)} for every expert;
 *   <li>{@code choice = score + correctionBias}; the bias steers selection only;
 *   <li>experts form {@code numGroups} consecutive groups of equal size; a group's score is the sum
 *       of its two highest choice scores, and the {@code topKGroups} groups with the highest group
 *       scores are kept;
 *   <li>experts of the other groups get a choice score of {@code -inf}, as {@code transformers} 5's
 *       {@code masked_fill(..., float("-inf"))} and DeepSeek's own inference code do: a masked
 *       expert is never chosen, even over kept experts whose biased score is negative (the older
 *       remote code masked to {@code 0.0}, which let such an expert win);
 *   <li>the {@code topK} experts with the highest choice scores are chosen, best first;
 *   <li>their weights are their sigmoid scores without the bias; with {@link
 *       TopKNormalization#RENORMALIZE} each is divided by {@code (sum + 1e-20)}, the sum taken in
 *       float in rank order; finally each is multiplied by {@code routedScalingFactor}.
 * </ol>
 *
 * <p>Groups and experts on equal scores are taken lower index first. With one group, step 3 keeps
 * every expert.
 *
 * <p>Immutable and thread-safe; the router holds its own copy of the bias.
 */
public final class GroupLimitedSigmoidRouter implements Router {
  private static final float NORMALIZATION_EPSILON = 1e-20f;

  private final int numExperts;
  private final int topK;
  private final int numGroups;
  private final int topKGroups;
  private final int groupSize;
  private final float[] correctionBias;
  private final float routedScalingFactor;
  private final TopKNormalization normalization;

  private GroupLimitedSigmoidRouter(Builder builder) {
    this.numExperts = builder.numExperts;
    this.topK = builder.topK;
    this.numGroups = builder.numGroups;
    this.topKGroups = builder.topKGroups;
    this.groupSize = numExperts / numGroups;
    this.correctionBias =
        builder.correctionBias == null ? new float[numExperts] : builder.correctionBias;
    this.routedScalingFactor = builder.routedScalingFactor;
    this.normalization = builder.normalization;
  }

  /**
   * A builder for a router over {@code numExperts} experts choosing {@code topK}. Unless set
   * otherwise: one group (no group limit), zero correction bias, routed scaling factor 1 and {@link
   * TopKNormalization#RENORMALIZE}.
   */
  public static Builder builder(int numExperts, int topK) {
    return new Builder(numExperts, topK);
  }

  @Override
  public int numExperts() {
    return numExperts;
  }

  @Override
  public int topK() {
    return topK;
  }

  /** The number of expert groups, {@code n_group}. */
  public int numGroups() {
    return numGroups;
  }

  /** The number of groups kept per token, {@code topk_group}. */
  public int topKGroups() {
    return topKGroups;
  }

  /** A copy of the selection bias, {@code e_score_correction_bias}, one per expert. */
  public float[] correctionBias() {
    return correctionBias.clone();
  }

  /** The factor applied to every weight last, {@code routed_scaling_factor}. */
  public float routedScalingFactor() {
    return routedScalingFactor;
  }

  public TopKNormalization normalization() {
    return normalization;
  }

  @Override
  public Routing route(float[] logits, int offset, int numTokens) {
    RouterChecks.checkLogitsRange(logits, offset, numTokens, numExperts);
    int[] experts = new int[numTokens * topK];
    float[] weights = new float[numTokens * topK];
    Scratch scratch = new Scratch(numExperts, numGroups, topKGroups);
    for (int token = 0; token < numTokens; token++) {
      int from = offset + token * numExperts;
      RouterChecks.checkRow(logits, from, token, numExperts);
      score(logits, from, scratch);
      if (numGroups > 1) {
        maskGroups(scratch);
      }
      TopK.select(scratch.choice, 0, numExperts, topK, experts, weights, token * topK);
      weigh(experts, weights, token * topK, scratch.scores);
    }
    return new Routing(numTokens, topK, experts, weights);
  }

  private void score(float[] logits, int from, Scratch scratch) {
    for (int expert = 0; expert < numExperts; expert++) {
      float score = 1f / (1f + (float) Math.exp(-logits[from + expert]));
      scratch.scores[expert] = score;
      scratch.choice[expert] = score + correctionBias[expert];
    }
  }

  private void maskGroups(Scratch scratch) {
    for (int group = 0; group < numGroups; group++) {
      scratch.groupScores[group] = topTwoSum(scratch.choice, group * groupSize);
    }
    TopK.select(
        scratch.groupScores,
        0,
        numGroups,
        topKGroups,
        scratch.keptGroups,
        scratch.keptGroupScores,
        0);
    Arrays.fill(scratch.groupKept, false);
    for (int kept : scratch.keptGroups) {
      scratch.groupKept[kept] = true;
    }
    for (int group = 0; group < numGroups; group++) {
      if (!scratch.groupKept[group]) {
        Arrays.fill(
            scratch.choice, group * groupSize, (group + 1) * groupSize, Float.NEGATIVE_INFINITY);
      }
    }
  }

  private float topTwoSum(float[] choice, int from) {
    float first = Float.NEGATIVE_INFINITY;
    float second = Float.NEGATIVE_INFINITY;
    for (int i = from; i < from + groupSize; i++) {
      float value = choice[i];
      if (value > first) {
        second = first;
        first = value;
      } else if (value > second) {
        second = value;
      }
    }
    return first + second;
  }

  private void weigh(int[] experts, float[] weights, int at, float[] scores) {
    float sum = 0f;
    for (int rank = 0; rank < topK; rank++) {
      weights[at + rank] = scores[experts[at + rank]];
      sum += weights[at + rank];
    }
    float denominator =
        normalization == TopKNormalization.RENORMALIZE ? sum + NORMALIZATION_EPSILON : 1f;
    for (int rank = 0; rank < topK; rank++) {
      weights[at + rank] = weights[at + rank] / denominator * routedScalingFactor;
    }
  }

  @Override
  public String toString() {
    return String.format(
        "GroupLimitedSigmoidRouter[numExperts=%d, topK=%d, numGroups=%d, topKGroups=%d,"
            + " routedScalingFactor=%s, normalization=%s]",
        numExperts, topK, numGroups, topKGroups, routedScalingFactor, normalization);
  }

  /** Per-call working memory, so that routing allocates nothing per token. */
  private static final class Scratch {
    private final float[] scores;
    private final float[] choice;
    private final float[] groupScores;
    private final int[] keptGroups;
    private final float[] keptGroupScores;
    private final boolean[] groupKept;

    private Scratch(int numExperts, int numGroups, int topKGroups) {
      this.scores = new float[numExperts];
      this.choice = new float[numExperts];
      this.groupScores = new float[numGroups];
      this.keptGroups = new int[topKGroups];
      this.keptGroupScores = new float[topKGroups];
      this.groupKept = new boolean[numGroups];
    }
  }

  /** Collects the settings of a {@link GroupLimitedSigmoidRouter}; not thread-safe. */
  public static final class Builder {
    private final int numExperts;
    private final int topK;
    private int numGroups = 1;
    private int topKGroups = 1;
    private float[] correctionBias;
    private float routedScalingFactor = 1f;
    private TopKNormalization normalization = TopKNormalization.RENORMALIZE;

    private Builder(int numExperts, int topK) {
      this.numExperts = numExperts;
      this.topK = topK;
    }

    /**
     * Splits the experts into {@code numGroups} ({@code n_group}) consecutive groups and keeps the
     * best {@code topKGroups} ({@code topk_group}) of them per token.
     */
    public Builder groups(int numGroups, int topKGroups) {
      this.numGroups = numGroups;
      this.topKGroups = topKGroups;
      return this;
    }

    /**
     * Sets the selection bias ({@code e_score_correction_bias}), one finite value per expert, as a
     * copy of the argument.
     */
    public Builder correctionBias(float[] correctionBias) {
      Objects.requireNonNull(correctionBias, "Invalid correction bias: null");
      this.correctionBias = correctionBias.clone();
      return this;
    }

    /** Sets the factor applied to every weight last ({@code routed_scaling_factor}). */
    public Builder routedScalingFactor(float routedScalingFactor) {
      this.routedScalingFactor = routedScalingFactor;
      return this;
    }

    /** Sets what happens to the chosen weights ({@code norm_topk_prob}). */
    public Builder normalization(TopKNormalization normalization) {
      RouterChecks.checkNormalization(normalization);
      this.normalization = normalization;
      return this;
    }

    /**
     * Builds the router.
     *
     * @throws IllegalArgumentException naming the offending setting if the settings do not fit
     *     together
     */
    public GroupLimitedSigmoidRouter build() {
      RouterChecks.checkNumExperts(numExperts);
      RouterChecks.checkTopK(topK, numExperts);
      GroupLimitedSigmoidChecks.checkGroups(numExperts, topK, numGroups, topKGroups);
      if (correctionBias != null) {
        GroupLimitedSigmoidChecks.checkCorrectionBias(correctionBias, numExperts);
      }
      GroupLimitedSigmoidChecks.checkRoutedScalingFactor(routedScalingFactor);
      return new GroupLimitedSigmoidRouter(this);
    }
  }
}
