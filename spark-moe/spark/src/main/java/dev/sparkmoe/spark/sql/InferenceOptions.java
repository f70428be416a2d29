package dev.sparkmoe.spark.sql;

import dev.sparkmoe.core.config.MoeOption;
import dev.sparkmoe.core.config.MoeOptions;
import dev.sparkmoe.spark.pipeline.MoeInference;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The pipeline settings that SQL and the {@code moe} DataSource take as text: the {@link
 * MoeOptions} call options but the output kind (an argument of its own there), each passed to
 * {@link MoeInference#option}. Settings not given come from the session conf ({@code spark.moe.*}),
 * then from defaults; but {@code id-column} and {@code tokens-column} default to {@code id} and
 * {@code tokens} here whatever the session conf says.
 *
 * @param inference the caller's base inference with these settings applied
 * @param idColumn the id column
 * @param tokensColumn the token column
 * @param textColumn the text column, read instead of the token column when given
 */
public record InferenceOptions(
    MoeInference inference, String idColumn, String tokensColumn, Optional<String> textColumn) {
  /** The options, in the order messages list them. */
  public static final List<MoeOption<?>> OPTIONS =
      MoeOptions.inScope(MoeOption.Scope.CALL).stream()
          .filter(o -> o != MoeOptions.KIND && o != MoeOptions.BATCH_ROWS)
          .toList();

  /** The keys of {@link #OPTIONS}, then their deprecated aliases. */
  public static final List<String> KEYS = MoeOptions.keys(OPTIONS);

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
            String.format(
                "Invalid option of %s: %s is given twice (expected: each key once)", where, key));
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
    for (Map.Entry<String, String> option : options.entrySet()) {
      if (!KEYS.contains(option.getKey())) {
        throw unknown(option.getKey(), where);
      }
      inference = inference.option(option.getKey(), option.getValue());
    }
    String idColumn = column(options, MoeOptions.ID_COLUMN);
    String tokensColumn = column(options, MoeOptions.TOKENS_COLUMN);
    return new InferenceOptions(
        inference.idColumn(idColumn).tokensColumn(tokensColumn),
        idColumn,
        tokensColumn,
        Optional.ofNullable(options.get(MoeOptions.TEXT_COLUMN.key())));
  }

  private static String column(Map<String, String> options, MoeOption<String> key) {
    return options.getOrDefault(key.key(), key.defaultValue());
  }

  private static IllegalArgumentException unknown(String key, String where) {
    return new IllegalArgumentException(
        String.format(
            "Invalid option of %s: %s (expected: one of %s)", where, key, String.join(", ", KEYS)));
  }
}
