package dev.sparkmoe.core.model;

/**
 * Where each weight of a decoder lives in the checkpoint: one implementation per family's tensor
 * names. Stateless; every method returns a tensor name.
 */
public interface WeightLayout {
  String embedTokens();

  String inputNorm(int layer);

  String queryProj(int layer);

  String keyProj(int layer);

  String valueProj(int layer);

  String outputProj(int layer);

  String postAttentionNorm(int layer);

  String router(int layer);

  /** The expert's gate projection (Mixtral {@code w1}), shape [ffn, hidden]. */
  String expertGate(int layer, int expert);

  /** The expert's up projection (Mixtral {@code w3}), shape [ffn, hidden]. */
  String expertUp(int layer, int expert);

  /** The expert's down projection (Mixtral {@code w2}), shape [hidden, ffn]. */
  String expertDown(int layer, int expert);

  String finalNorm();

  String lmHead();

  /** The layout of {@code architecture}. */
  static WeightLayout of(Architecture architecture) {
    return switch (architecture) {
      case MIXTRAL -> new MixtralLayout();
    };
  }
}
