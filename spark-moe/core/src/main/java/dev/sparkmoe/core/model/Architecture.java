package dev.sparkmoe.core.model;

import dev.sparkmoe.core.InvalidModelException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/** The model families spark-moe can run, by the Hugging Face class name in {@code config.json}. */
public enum Architecture {
  MIXTRAL("MixtralForCausalLM", "mixtral");

  private final String className;
  private final String modelType;

  Architecture(String className, String modelType) {
    this.className = className;
    this.modelType = modelType;
  }

  /** The Hugging Face class name, as {@code config.json} lists it under {@code architectures}. */
  public String className() {
    return className;
  }

  /** The {@code model_type} value of {@code config.json}. */
  public String modelType() {
    return modelType;
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
    List<String> names = Arrays.stream(values()).map(Architecture::className).toList();
    return names.stream().collect(Collectors.joining(", "));
  }
}
