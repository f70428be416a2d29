package dev.sparkmoe.core.model;

import java.util.Objects;

/**
 * The attention variant of a family, beyond grouped-query attention with RoPE. Immutable.
 *
 * @param qkvBias whether the query, key and value projections have biases (Qwen2-MoE {@code
 *     qkv_bias}; Qwen3-MoE and OLMoE {@code attention_bias})
 * @param outputBias whether the output projection has a bias (Qwen3-MoE and OLMoE {@code
 *     attention_bias})
 * @param qkNorm RMSNorm of queries and keys before RoPE
 * @param clipQkv OLMoE's {@code clip_qkv}: queries, keys and values are clamped to {@code [-clip,
 *     clip]} after the norm; 0 for no clamp
 */
public record AttentionSpec(boolean qkvBias, boolean outputBias, QkNorm qkNorm, float clipQkv) {
  /** Mixtral's attention: no biases, no norms, no clamp. */
  public static final AttentionSpec PLAIN = new AttentionSpec(false, false, QkNorm.NONE, 0f);

  /** Where queries and keys are RMS-normalized. */
  public enum QkNorm {
    NONE,
    /** Each head on its own, weight {@code [head_dim]} (Qwen3-MoE). */
    PER_HEAD,
    /** The whole projection at once, weight {@code [heads * head_dim]} (OLMoE). */
    WHOLE
  }

  public AttentionSpec {
    Objects.requireNonNull(qkNorm, "Invalid QK norm: null");
    if (!(clipQkv >= 0f) || !Float.isFinite(clipQkv)) {
      throw new IllegalArgumentException(
          String.format("Invalid clip_qkv: %s (expected: a finite number >= 0)", clipQkv));
    }
  }
}
