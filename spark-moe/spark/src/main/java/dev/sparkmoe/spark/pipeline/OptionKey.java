package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.batch.ActivationDtype;
import dev.sparkmoe.core.forward.OutputKind;
import dev.sparkmoe.core.placement.PlacementPolicy;
import java.util.List;

/**
 * The option keys of {@link MoeInference}, each also a session conf key under {@code spark.moe.}.
 */
final class OptionKey {
  static final String ID_COLUMN = "id-column";
  static final String TOKENS_COLUMN = "tokens-column";
  static final String OUTPUT = "output";
  static final String PLACEMENT = "placement";
  static final String BACKEND = "backend";
  static final String ACTIVATION_DTYPE = "activation-dtype";
  static final String PARTITIONS = "partitions";
  static final String SLOTS = "slots";
  static final String ON_INVALID_TOKEN = "on-invalid-token";
  static final String WAVE_ROWS = "wave-rows";

  static final List<String> ALL =
      List.of(
          ID_COLUMN,
          TOKENS_COLUMN,
          OUTPUT,
          PLACEMENT,
          BACKEND,
          ACTIVATION_DTYPE,
          PARTITIONS,
          SLOTS,
          ON_INVALID_TOKEN,
          WAVE_ROWS);

  private OptionKey() {}

  /** Fails at once, naming the key, for an unknown key or a value that cannot parse. */
  static void check(String key, String value) {
    if (!ALL.contains(key)) {
      throw new IllegalArgumentException(
          String.format("Invalid option: %s (expected: one of %s)", key, String.join(", ", ALL)));
    }
    if (value == null) {
      throw new IllegalArgumentException(String.format("Invalid value of option %s: null", key));
    }
    switch (key) {
      case OUTPUT -> OutputKind.parse(value);
      case PLACEMENT -> PlacementPolicy.parse(value);
      case ACTIVATION_DTYPE -> ActivationDtype.parse(value);
      case PARTITIONS, SLOTS -> positive(key, value);
      case ON_INVALID_TOKEN -> InvalidTokenPolicy.parse(value);
      case WAVE_ROWS -> positiveLong(key, value);
      default -> {
        // names and the backend are checked when the run starts
      }
    }
  }

  static long positiveLong(String key, String value) {
    try {
      long parsed = Long.parseLong(value.trim());
      if (parsed > 0) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // fall through to the message below
    }
    throw new IllegalArgumentException(
        String.format("Invalid %s: %s (expected: a positive integer)", key, value));
  }

  static int positive(String key, String value) {
    try {
      int parsed = Integer.parseInt(value.trim());
      if (parsed > 0) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // fall through to the message below
    }
    throw new IllegalArgumentException(
        String.format("Invalid %s: %s (expected: a positive integer)", key, value));
  }
}
