package dev.sparkmoe.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkmoe.core.InvalidModelException;
import dev.sparkmoe.core.IoErrors;
import dev.sparkmoe.core.safetensors.ModelJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a Hugging Face {@code config.json} into a {@link ModelConfig}, applying the defaults that
 * {@code transformers} applies for the architecture (see {@link Architecture} for the families).
 * Stateless and thread-safe.
 */
public final class ModelConfigReader {
  /** Configs are a few kilobytes; anything this large is not a config. */
  static final long MAX_CONFIG_BYTES = 1L << 20;

  private static final ObjectMapper MAPPER = ModelJson.mapper().build();

  private ModelConfigReader() {}

  /** Reads {@code modelDir/config.json}. */
  public static ModelConfig read(Path modelDir) {
    if (!Files.isDirectory(modelDir)) {
      throw new InvalidModelException(
          String.format(
              "Cannot load model %s: not a directory (expected: a folder with config.json and"
                  + " model.safetensors)",
              modelDir));
    }
    Path file = modelDir.resolve("config.json");
    return parse(readJson(file), file);
  }

  static JsonNode readJson(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new InvalidModelException(
          String.format(
              "Cannot load model %s: config.json is missing (expected: the model's Hugging Face"
                  + " config.json in that folder)",
              file.getParent()));
    }
    byte[] bytes;
    try {
      long size = Files.size(file);
      if (size > MAX_CONFIG_BYTES) {
        throw new InvalidModelException(
            String.format(
                "Cannot read %s: %d bytes is over the %d-byte limit for a config",
                file, size, MAX_CONFIG_BYTES));
      }
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw IoErrors.cannot("read " + file, e);
    }
    JsonNode root =
        ModelJson.read(
            MAPPER,
            bytes,
            reason ->
                new InvalidModelException(
                    String.format("Cannot read %s: not valid JSON (%s)", file, reason)));
    if (!root.isObject()) {
      throw new InvalidModelException(String.format("Cannot read %s: not a JSON object", file));
    }
    return root;
  }

  static ModelConfig parse(JsonNode root, Path file) {
    Architecture architecture = Architecture.fromClassName(architectureName(root, file), file);
    return FamilyConfigs.read(architecture, new ConfigFields(root, file));
  }

  private static String architectureName(JsonNode root, Path file) {
    JsonNode architectures = root.get("architectures");
    if (architectures == null || !architectures.isArray() || architectures.size() != 1) {
      throw new InvalidModelException(
          String.format(
              "Cannot read %s: key architectures must list exactly one class (expected: one of %s)",
              file, Architecture.supported()));
    }
    return architectures.get(0).asText();
  }
}
