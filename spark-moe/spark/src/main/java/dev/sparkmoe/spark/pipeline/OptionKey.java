package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.balance.Capacity;
import dev.sparkmoe.core.balance.HotExpertReplicas;
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
  static final String SAMPLE_ROWS = "sample-rows";
  static final String REPLICAS = "replicas";
  static final String CAPACITY_FACTOR = "capacity-factor";
  static final String DATA_PARALLEL = "data-parallel";
  static final String EXPERT_TP = "expert-tp";
  static final String SLOT_MEMORY = "slot-memory";

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
          WAVE_ROWS,
          SAMPLE_ROWS,
          REPLICAS,
          CAPACITY_FACTOR,
          DATA_PARALLEL,
          EXPERT_TP,
          SLOT_MEMORY);

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
      case PARTITIONS, SLOTS, DATA_PARALLEL, EXPERT_TP -> positive(key, value);
      case SLOT_MEMORY -> bytes(key, value);
      case ON_INVALID_TOKEN -> InvalidTokenPolicy.parse(value);
      case WAVE_ROWS -> positiveLong(key, value);
      case SAMPLE_ROWS -> nonNegative(key, value);
      case REPLICAS -> HotExpertReplicas.Setting.parse(value);
      case CAPACITY_FACTOR -> capacityFactor(value);
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

  static int nonNegative(String key, String value) {
    try {
      int parsed = Integer.parseInt(value.trim());
      if (parsed >= 0) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // fall through to the message below
    }
    throw new IllegalArgumentException(
        String.format("Invalid %s: %s (expected: an integer >= 0)", key, value));
  }

  /** A positive byte count, plain or with a k, m or g suffix (powers of 1024). */
  static long bytes(String key, String value) {
    String v = value.trim().toLowerCase(java.util.Locale.ROOT);
    int shift = v.endsWith("k") ? 10 : v.endsWith("m") ? 20 : v.endsWith("g") ? 30 : 0;
    try {
      long parsed = Long.parseLong(shift == 0 ? v : v.substring(0, v.length() - 1));
      if (parsed > 0 && parsed <= Long.MAX_VALUE >> shift) {
        return parsed << shift;
      }
    } catch (NumberFormatException e) {
      // fall through to the message below
    }
    throw new IllegalArgumentException(
        String.format(
            "Invalid %s: %s (expected: a positive number of bytes, e.g. 268435456 or 256m)",
            key, value));
  }

  /** A positive capacity factor, or {@code none} (dropless): empty. */
  static java.util.OptionalDouble capacityFactor(String value) {
    String v = value.trim();
    if (v.equalsIgnoreCase("none")) {
      return java.util.OptionalDouble.empty();
    }
    try {
      return java.util.OptionalDouble.of(Capacity.checkFactor(Double.parseDouble(v)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid capacity factor: %s (expected: a positive number, or none for dropless)",
              value),
          e);
    }
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
