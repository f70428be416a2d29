package dev.sparkmoe.core.model;

import dev.sparkmoe.core.InvalidModelException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/** The model families spark-moe can run, by the Hugging Face class name in {@code config.json}. */
public enum Architecture {
  MIXTRAL("MixtralForCausalLM", "mixtral", true),
  QWEN2_MOE("Qwen2MoeForCausalLM", "qwen2_moe", true),
  QWEN3_MOE("Qwen3MoeForCausalLM", "qwen3_moe", true),
  OLMOE("OlmoeForCausalLM", "olmoe", true),
  /**
   * DeepSeek-V3 routing, shared experts and dense first layers; its multi-head latent attention is
   * not implemented, so only checkpoints whose layers have no {@code self_attn} tensors (pure MoE
   * layers) load.
   */
  DEEPSEEK_V3("DeepseekV3ForCausalLM", "deepseek_v3", false);

  private final String className;
  private final String modelType;
  private final boolean attention;

  Architecture(String className, String modelType, boolean attention) {
    this.className = className;
    this.modelType = modelType;
    this.attention = attention;
  }

  /** The Hugging Face class name, as {@code config.json} lists it under {@code architectures}. */
  public String className() {
    return className;
  }

  /** The {@code model_type} value of {@code config.json}. */
  public String modelType() {
    return modelType;
  }

  /** Whether spark-moe implements this family's attention (else only pure MoE layers load). */
  public boolean supportsAttention() {
    return attention;
  }

  /** The architecture whose class name is {@code name}; fails naming the supported ones. */
  public static Architecture fromClassName(String name, Path configFile) {
    for (Architecture architecture : values()) {
      if (architecture.className.equals(name)) {
        return architecture;
      }
    }
    throw new InvalidModelException(
        String.format(
            "Invalid architecture %s in %s (expected: one of %s)", name, configFile, supported()));
  }

  static String supported() {
    return Arrays.stream(values()).map(Architecture::className).collect(Collectors.joining(", "));
  }
}
