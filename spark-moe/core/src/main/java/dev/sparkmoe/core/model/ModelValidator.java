package dev.sparkmoe.core.model;

import dev.sparkmoe.core.InvalidModelException;
import dev.sparkmoe.core.safetensors.Checkpoint;
import java.util.ArrayList;
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
      if (config.isMoeLayer(layer)) {
        validateMoe(layer);
      } else {
        expectMlp("MLP", layout.denseMlp(layer), config.feedForward().denseIntermediateSize());
      }
    }
    return attention;
  }

  /** The attention tensors the family's {@link AttentionSpec} implies, input norm first. */
  static List<String> attentionTensors(ModelConfig config, WeightLayout layout, int layer) {
    AttentionSpec spec = config.attention();
    List<String> names = new ArrayList<>();
    names.add(layout.inputNorm(layer));
    names.addAll(
        List.of(
            layout.queryProj(layer),
            layout.keyProj(layer),
            layout.valueProj(layer),
            layout.outputProj(layer)));
    if (spec.qkvBias()) {
      names.add(WeightLayout.bias(layout.queryProj(layer)));
      names.add(WeightLayout.bias(layout.keyProj(layer)));
      names.add(WeightLayout.bias(layout.valueProj(layer)));
    }
    if (spec.outputBias()) {
      names.add(WeightLayout.bias(layout.outputProj(layer)));
    }
    if (spec.qkNorm() != AttentionSpec.QkNorm.NONE) {
      names.add(layout.queryNorm(layer));
      names.add(layout.keyNorm(layer));
    }
    return names;
  }

  private boolean validateAttention(int layer) {
    if (!config.architecture().supportsAttention()) {
      rejectAttention(layer);
      return false;
    }
    List<String> names = attentionTensors(config, layout, layer);
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
    expectAttentionShapes(layer);
    return true;
  }

  private void expectAttentionShapes(int layer) {
    int hidden = config.hiddenSize();
    int q = config.queryWidth();
    int kv = config.kvWidth();
    AttentionSpec spec = config.attention();
    expect("norm", layout.inputNorm(layer), hidden);
    expect("attention", layout.queryProj(layer), q, hidden);
    expect("attention", layout.keyProj(layer), kv, hidden);
    expect("attention", layout.valueProj(layer), kv, hidden);
    expect("attention", layout.outputProj(layer), hidden, q);
    if (spec.qkvBias()) {
      expect("attention", WeightLayout.bias(layout.queryProj(layer)), q);
      expect("attention", WeightLayout.bias(layout.keyProj(layer)), kv);
      expect("attention", WeightLayout.bias(layout.valueProj(layer)), kv);
    }
    if (spec.outputBias()) {
      expect("attention", WeightLayout.bias(layout.outputProj(layer)), hidden);
    }
    boolean perHead = spec.qkNorm() == AttentionSpec.QkNorm.PER_HEAD;
    if (spec.qkNorm() != AttentionSpec.QkNorm.NONE) {
      expect("QK norm", layout.queryNorm(layer), perHead ? config.headDim() : q);
      expect("QK norm", layout.keyNorm(layer), perHead ? config.headDim() : kv);
    }
  }

  /** A family whose attention is not implemented loads only layers without attention tensors. */
  private void rejectAttention(int layer) {
    String prefix = layout.attentionPrefix(layer);
    checkpoint.tensorNames().stream()
        .filter(name -> name.startsWith(prefix))
        .sorted()
        .findFirst()
        .ifPresent(
            name -> {
              throw new InvalidModelException(
                  String.format(
                      "Cannot load layer %d of %s: %s attention (tensor %s) is not supported"
                          + " (expected: no %s* tensors; spark-moe runs %s checkpoints whose"
                          + " layers are pure MoE layers)",
                      layer,
                      checkpoint.directory(),
                      config.architecture().className(),
                      name,
                      prefix,
                      config.architecture().className()));
            });
  }

  private void validateMoe(int layer) {
    int hidden = config.hiddenSize();
    int experts = config.numExperts();
    expect("router", layout.router(layer), experts, hidden);
    if (config.router().usesCorrectionBias()) {
      expect("router", layout.routerCorrectionBias(layer), experts);
    }
    FeedForwardSpec feedForward = config.feedForward();
    if (feedForward.hasSharedExpert()) {
      expectMlp("shared expert", layout.sharedExpert(layer), feedForward.sharedExpertSize());
    }
    if (feedForward.sharedExpertGate()) {
      expect("shared expert", layout.sharedExpertGate(layer), 1, hidden);
    }
    for (int expert = 0; expert < experts; expert++) {
      validateExpert(layer, expert);
    }
  }

  private void validateExpert(int layer, int expert) {
    int hidden = config.hiddenSize();
    int ffn = config.intermediateSize();
    expect("expert", layout.expertGate(layer, expert), ffn, hidden);
    expect("expert", layout.expertUp(layer, expert), ffn, hidden);
    expect("expert", layout.expertDown(layer, expert), hidden, ffn);
  }

  private void expectMlp(String role, String prefix, int ffn) {
    int hidden = config.hiddenSize();
    expect(role, prefix + "gate_proj.weight", ffn, hidden);
    expect(role, prefix + "up_proj.weight", ffn, hidden);
    expect(role, prefix + "down_proj.weight", hidden, ffn);
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
