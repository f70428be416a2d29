package dev.sparkmoe.core.model;

import dev.sparkmoe.core.InvalidModelException;
import dev.sparkmoe.core.safetensors.Checkpoint;
import java.util.Arrays;
import java.util.List;

/**
 * Checks every tensor a config implies against the checkpoint's headers, before any weight is read.
 */
final class ModelValidator {
  private final ModelConfig config;
  private final Checkpoint checkpoint;
  private final WeightLayout layout;

  ModelValidator(ModelConfig config, Checkpoint checkpoint) {
    this.config = config;
    this.checkpoint = checkpoint;
    this.layout = WeightLayout.of(config.architecture());
  }

  /** Validates all tensors; returns, per layer, whether it has attention. */
  boolean[] validate() {
    int hidden = config.hiddenSize();
    int vocab = config.vocabSize();
    expect("embedding", layout.embedTokens(), vocab, hidden);
    expect("norm", layout.finalNorm(), hidden);
    if (!config.tieWordEmbeddings()) {
      expect("LM head", layout.lmHead(), vocab, hidden);
    }
    boolean[] attention = new boolean[config.numLayers()];
    for (int layer = 0; layer < config.numLayers(); layer++) {
      attention[layer] = validateAttention(layer);
      expect("norm", layout.postAttentionNorm(layer), hidden);
      expect("router", layout.router(layer), config.numExperts(), hidden);
      for (int expert = 0; expert < config.numExperts(); expert++) {
        validateExpert(layer, expert);
      }
    }
    return attention;
  }

  private boolean validateAttention(int layer) {
    List<String> names =
        List.of(
            layout.inputNorm(layer),
            layout.queryProj(layer),
            layout.keyProj(layer),
            layout.valueProj(layer),
            layout.outputProj(layer));
    long present = names.stream().filter(checkpoint::contains).count();
    if (present == 0) {
      return false;
    }
    if (present < names.size()) {
      String missing =
          names.stream().filter(n -> !checkpoint.contains(n)).findFirst().orElseThrow();
      throw new InvalidModelException(
          String.format(
              "Cannot load layer %d of %s: attention tensor %s is missing while others are present"
                  + " (expected: all of %s, or none for a pure MoE layer)",
              layer, checkpoint.directory(), missing, names));
    }
    int hidden = config.hiddenSize();
    expect("norm", layout.inputNorm(layer), hidden);
    expect("attention", layout.queryProj(layer), config.queryWidth(), hidden);
    expect("attention", layout.keyProj(layer), config.kvWidth(), hidden);
    expect("attention", layout.valueProj(layer), config.kvWidth(), hidden);
    expect("attention", layout.outputProj(layer), hidden, config.queryWidth());
    return true;
  }

  private void validateExpert(int layer, int expert) {
    int hidden = config.hiddenSize();
    int ffn = config.intermediateSize();
    expect("expert", layout.expertGate(layer, expert), ffn, hidden);
    expect("expert", layout.expertUp(layer, expert), ffn, hidden);
    expect("expert", layout.expertDown(layer, expert), hidden, ffn);
  }

  private void expect(String role, String name, long... shape) {
    if (!checkpoint.contains(name)) {
      throw new InvalidModelException(
          String.format(
              "Cannot load %s tensor %s: missing from checkpoint %s (expected shape: %s)",
              role, name, checkpoint.directory(), Arrays.toString(shape)));
    }
    List<Long> actual = checkpoint.tensor(name).shape();
    if (!actual.equals(Arrays.stream(shape).boxed().toList())) {
      throw new InvalidModelException(
          String.format(
              "Cannot load %s tensor %s: shape %s does not match config (expected: %s)",
              role, name, actual, Arrays.toString(shape)));
    }
  }
}
