package dev.sparkmoe.core.batch;

import java.util.Map;
import java.util.Objects;

/** What a token batch's schema-level metadata says: everything but the columns. */
record BatchHeader(
    BatchKind kind, int layer, int sourcePartition, int hidden, ActivationDtype dtype) {
  static final String KIND = "spark.moe.kind";
  static final String LAYER = "spark.moe.layer";
  static final String SOURCE_PARTITION = "spark.moe.source-partition";
  static final String HIDDEN = "spark.moe.hidden";
  static final String DTYPE = "spark.moe.dtype";

  BatchHeader {
    Objects.requireNonNull(kind, "Invalid token batch kind: null");
    BatchChecks.checkHeader(layer, sourcePartition, hidden);
    Objects.requireNonNull(dtype, "Invalid activation dtype: null");
  }

  Map<String, String> metadata() {
    return Map.of(
        KIND, kind.metadataName(),
        LAYER, Integer.toString(layer),
        SOURCE_PARTITION, Integer.toString(sourcePartition),
        HIDDEN, Integer.toString(hidden),
        DTYPE, dtype.cliName());
  }

  /**
   * Reads the header of a batch that must be of kind {@code expected}.
   *
   * @throws IllegalArgumentException if the kind differs or a key is missing or malformed
   */
  static BatchHeader read(Map<String, String> metadata, BatchKind expected) {
    String kind = metadata.get(KIND);
    if (!expected.metadataName().equals(kind)) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid token batch kind: %s (expected: %s)", kind, expected.metadataName()));
    }
    return new BatchHeader(
        expected,
        intValue(metadata, LAYER),
        intValue(metadata, SOURCE_PARTITION),
        intValue(metadata, HIDDEN),
        ActivationDtype.parse(metadata.get(DTYPE)));
  }

  private static int intValue(Map<String, String> metadata, String key) {
    String value = metadata.get(key);
    if (value == null) {
      throw invalidMetadata(key, value, null);
    }
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw invalidMetadata(key, value, e);
    }
  }

  private static IllegalArgumentException invalidMetadata(
      String key, String value, Throwable cause) {
    return new IllegalArgumentException(
        String.format("Invalid token batch metadata %s: %s (expected: an integer)", key, value),
        cause);
  }
}
