package dev.sparkmoe.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkmoe.core.InvalidModelException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Typed, checked access to the keys of one {@code config.json}; every failure names the file and
 * key.
 */
final class ConfigFields {
  private final JsonNode root;
  private final Path file;

  ConfigFields(JsonNode root, Path file) {
    this.root = root;
    this.file = file;
  }

  int requiredInt(String key) {
    JsonNode node = root.get(key);
    if (node == null || node.isNull()) {
      throw new InvalidModelException(
          String.format(
              "Cannot read %s: missing key %s (expected: a positive integer)", file, key));
    }
    return positiveInt(key, node);
  }

  /** The first of {@code keys} that is set; fails naming the first key if none is. */
  int requiredInt(String... keys) {
    for (String key : keys) {
      if (has(key)) {
        return requiredInt(key);
      }
    }
    return requiredInt(keys[0]);
  }

  int optionalInt(String key, int defaultValue) {
    JsonNode node = root.get(key);
    return node == null || node.isNull() ? defaultValue : positiveInt(key, node);
  }

  /**
   * As transformers treats a key whose dataclass default differs from its {@code None} fallback:
   * {@code absentValue} when the key is missing, {@code nullValue} when it is {@code null}.
   */
  int optionalInt(String key, int absentValue, int nullValue) {
    JsonNode node = root.get(key);
    if (node == null) {
      return absentValue;
    }
    return node.isNull() ? nullValue : positiveInt(key, node);
  }

  int optionalNonNegativeInt(String key, int defaultValue) {
    JsonNode node = root.get(key);
    if (node == null || node.isNull()) {
      return defaultValue;
    }
    check(
        node.canConvertToInt() && node.isIntegralNumber() && node.asInt() >= 0,
        key,
        node,
        "an integer >= 0");
    return node.asInt();
  }

  /** A list of integers >= 0, empty when the key is missing or null. */
  List<Integer> optionalIntList(String key) {
    JsonNode node = root.get(key);
    List<Integer> values = new ArrayList<>();
    if (node == null || node.isNull()) {
      return values;
    }
    check(node.isArray(), key, node, "a list of layer indices");
    for (JsonNode item : node) {
      check(
          item.canConvertToInt() && item.isIntegralNumber() && item.asInt() >= 0,
          key,
          node,
          "a list of layer indices");
      values.add(item.asInt());
    }
    return values;
  }

  /** A list of strings, empty when the key is missing or null. */
  List<String> optionalStringList(String key) {
    JsonNode node = root.get(key);
    List<String> values = new ArrayList<>();
    if (node == null || node.isNull()) {
      return values;
    }
    check(node.isArray(), key, node, "a list of strings");
    for (JsonNode item : node) {
      check(item.isTextual(), key, node, "a list of strings");
      values.add(item.asText());
    }
    return values;
  }

  String optionalString(String key, String defaultValue) {
    JsonNode node = root.get(key);
    if (node == null || node.isNull()) {
      return defaultValue;
    }
    check(node.isTextual(), key, node, "a string");
    return node.asText();
  }

  /** Whether {@code key} is present and not {@code null}. */
  boolean has(String key) {
    JsonNode node = root.get(key);
    return node != null && !node.isNull();
  }

  Path file() {
    return file;
  }

  double optionalDouble(String key, double defaultValue) {
    JsonNode node = root.get(key);
    if (node == null || node.isNull()) {
      return defaultValue;
    }
    check(node.isNumber() && node.asDouble() > 0, key, node, "a positive number");
    return node.asDouble();
  }

  boolean optionalBoolean(String key, boolean defaultValue) {
    JsonNode node = root.get(key);
    if (node == null || node.isNull()) {
      return defaultValue;
    }
    check(node.isBoolean(), key, node, "true or false");
    return node.asBoolean();
  }

  /** {@code rope_theta}, or {@code rope_parameters.rope_theta} as transformers 5 writes it. */
  double ropeTheta(double defaultValue) {
    JsonNode parameters = root.get("rope_parameters");
    if (parameters != null && parameters.isObject() && parameters.has("rope_theta")) {
      return new ConfigFields(parameters, file).optionalDouble("rope_theta", defaultValue);
    }
    return optionalDouble("rope_theta", defaultValue);
  }

  /** Only plain RoPE is implemented; a scaled variant would silently give wrong numbers. */
  void rejectRopeScaling() {
    for (String key : new String[] {"rope_scaling", "rope_parameters"}) {
      JsonNode node = root.get(key);
      if (node == null || node.isNull()) {
        continue;
      }
      JsonNode type = node.has("rope_type") ? node.get("rope_type") : node.get("type");
      String name = type == null ? "" : type.asText();
      check(name.isEmpty() || name.equals("default"), key + ".rope_type", name, "default");
    }
  }

  void check(boolean ok, String key, Object value, String expected) {
    if (!ok) {
      throw new InvalidModelException(
          String.format("Invalid %s in %s: %s (expected: %s)", key, file, value, expected));
    }
  }

  private int positiveInt(String key, JsonNode node) {
    check(
        node.canConvertToInt() && node.isIntegralNumber() && node.asInt() > 0,
        key,
        node,
        "a positive integer");
    return node.asInt();
  }
}
