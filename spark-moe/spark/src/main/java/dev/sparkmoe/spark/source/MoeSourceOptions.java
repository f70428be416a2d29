package dev.sparkmoe.spark.source;

import dev.sparkmoe.core.config.MoeOptions;
import dev.sparkmoe.spark.pipeline.MoeInference;
import dev.sparkmoe.spark.sql.InferenceOptions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The options of the {@code moe} DataSource, checked.
 *
 * @param model the model folder
 * @param input a table or view name, or a path
 * @param inputFormat the format of a path input, or null when none was given
 * @param inputOptions options for the input's reader (the {@code input.} options, prefix removed)
 * @param settings the model, kind and pipeline settings
 */
record MoeSourceOptions(
    String model,
    String input,
    String inputFormat,
    Map<String, String> inputOptions,
    InferenceOptions settings) {
  static final String INPUT_PREFIX = "input.";
  private static final List<String> OWN_KEYS =
      List.of("model", "input", MoeOptions.KIND.key(), "input-format");

  /**
   * @param options the reader's options, keys lower-case ({@code path} is what {@code load(path)}
   *     gives)
   */
  static MoeSourceOptions parse(Map<String, String> options) {
    String model = required(options, "model", "the model folder");
    String input = options.get("input");
    String path = options.get("path");
    if (input != null && path != null) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid input of %s: both option input (%s) and load(%s) are given (expected: one)",
              MoeSource.WHERE, input, path));
    }
    String source = input != null ? input : path;
    if (source == null) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid options of %s: input is missing (expected: option(\"input\", <table, view"
                  + " or path>) or load(<path>))",
              MoeSource.WHERE));
    }
    Map<String, String> pipeline = new LinkedHashMap<>();
    Map<String, String> inputOptions = new HashMap<>();
    for (Map.Entry<String, String> option : options.entrySet()) {
      String key = option.getKey();
      if (key.startsWith(INPUT_PREFIX)) {
        inputOptions.put(key.substring(INPUT_PREFIX.length()), option.getValue());
      } else if (InferenceOptions.KEYS.contains(key)) {
        pipeline.put(key, option.getValue());
      } else if (!OWN_KEYS.contains(key) && !key.equals("path")) {
        throw new IllegalArgumentException(
            String.format(
                "Invalid option of %s: %s (expected: one of %s, or input.<option of the input"
                    + " format>)",
                MoeSource.WHERE, key, String.join(", ", allKeys())));
      }
    }
    MoeInference base =
        MoeInference.of(model)
            .kind(options.getOrDefault(MoeOptions.KIND.key(), MoeOptions.KIND.defaultValue()));
    return new MoeSourceOptions(
        model,
        source,
        options.get("input-format"),
        inputOptions,
        InferenceOptions.apply(base, pipeline, MoeSource.WHERE));
  }

  private static String required(Map<String, String> options, String key, String what) {
    String value = options.get(key);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid options of %s: %s is missing (expected: option(\"%s\", <%s>))",
              MoeSource.WHERE, key, key, what));
    }
    return value;
  }

  private static List<String> allKeys() {
    List<String> keys = new ArrayList<>(OWN_KEYS);
    keys.addAll(InferenceOptions.KEYS);
    return keys;
  }
}
