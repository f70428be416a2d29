package dev.sparkmoe.spark.sql;

import dev.sparkmoe.spark.pipeline.MoeInference;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The pipeline settings that SQL and the {@code moe} DataSource take as text: {@code placement},
 * {@code slots}, {@code partitions}, {@code activation-dtype}, {@code backend}, {@code id-column}
 * and {@code tokens-column}, each as {@link MoeInference}'s method of that name, and the other
 * {@code spark.moe.*} keys without their prefix ({@code on-invalid-token}, {@code wave-rows}, the
 * load-balancing keys) as {@link MoeInference#option}. Settings not given come from the session
 * conf ({@code spark.moe.*}), then from defaults.
 *
 * @param inference the caller's base inference with these settings applied
 * @param idColumn the id column
 * @param tokensColumn the token column
 */
public record InferenceOptions(MoeInference inference, String idColumn, String tokensColumn) {
  /** The keys passed through to {@link MoeInference#option} as they are. */
  private static final List<String> PASSED_THROUGH =
      List.of(
          "on-invalid-token",
          "wave-rows",
          "sample-rows",
          "replicas",
          "capacity-factor",
          "data-parallel",
          "expert-tp",
          "slot-memory");

  /** The keys, in the order messages list them. */
  public static final List<String> KEYS =
      Stream.concat(
              Stream.of(
                  "placement",
                  "slots",
                  "partitions",
                  "activation-dtype",
                  "backend",
                  "id-column",
                  "tokens-column"),
              PASSED_THROUGH.stream())
          .toList();

  /**
   * Parses {@code key=value;key=value}: keys are case-insensitive, blanks around keys, values and
   * separators are ignored, and so are empty entries.
   *
   * @param where who is asking, for messages: {@code moe_infer}
   * @throws IllegalArgumentException for an entry without {@code =} or a key given twice
   */
  public static Map<String, String> parse(String text, String where) {
    Map<String, String> options = new LinkedHashMap<>();
    for (String entry : text.split(";", -1)) {
      if (entry.isBlank()) {
        continue;
      }
      int equals = entry.indexOf('=');
      if (equals < 0) {
        throw new IllegalArgumentException(
            String.format(
                "Invalid option of %s: '%s' (expected: key=value, entries separated by ';')",
                where, entry.trim()));
      }
      String key = entry.substring(0, equals).trim().toLowerCase(Locale.ROOT);
      if (options.put(key, entry.substring(equals + 1).trim()) != null) {
        throw new IllegalArgumentException(
            String.format("Invalid option of %s: %s is given twice", where, key));
      }
    }
    return options;
  }

  /**
   * Applies {@code options} (keys lower-case, every key one of {@link #KEYS}) to {@code base}.
   *
   * @throws IllegalArgumentException for an unknown key or an invalid value, naming it
   */
  public static InferenceOptions apply(
      MoeInference base, Map<String, String> options, String where) {
    MoeInference inference = base;
    String idColumn = "id";
    String tokensColumn = "tokens";
    for (Map.Entry<String, String> option : options.entrySet()) {
      String value = option.getValue();
      switch (option.getKey()) {
        case "placement" -> inference = inference.placement(value);
        case "slots" -> inference = inference.slots(positive("slots", value));
        case "partitions" -> inference = inference.partitions(positive("partitions", value));
        case "activation-dtype" -> inference = inference.activationDtype(value);
        case "backend" -> inference = inference.backend(value);
        case "id-column" -> idColumn = value;
        case "tokens-column" -> tokensColumn = value;
        default -> {
          if (!PASSED_THROUGH.contains(option.getKey())) {
            throw unknown(option.getKey(), where);
          }
          inference = inference.option(option.getKey(), value);
        }
      }
    }
    return new InferenceOptions(
        inference.idColumn(idColumn).tokensColumn(tokensColumn), idColumn, tokensColumn);
  }

  private static IllegalArgumentException unknown(String key, String where) {
    return new IllegalArgumentException(
        String.format(
            "Invalid option of %s: %s (expected: one of %s)", where, key, String.join(", ", KEYS)));
  }

  private static int positive(String key, String value) {
    try {
      int parsed = Integer.parseInt(value);
      if (parsed > 0) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // falls through to the message below
    }
    throw new IllegalArgumentException(
        String.format("Invalid %s: %s (expected: a positive integer)", key, value));
  }
}
