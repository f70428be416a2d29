package dev.sparkmoe.core.exchange;

import java.util.Locale;

/** Which exchange carries a run's routed tokens ({@code spark.moe.mode}). */
public enum ExchangeMode {
  /** Two engine shuffles per layer: batch work, no long-lived tasks. */
  SHUFFLE,
  /** Resident expert servers that owners call over sockets, several micro-batches in flight. */
  SERVICE,
  /** The service where the cluster can run the servers and the owners at once, else the shuffle. */
  AUTO;

  /** The lower-case name used in configuration and reports. */
  public String optionName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The mode named {@code name}, ignoring case and surrounding blanks.
   *
   * @throws IllegalArgumentException if {@code name} names no mode
   */
  public static ExchangeMode parse(String name) {
    String v = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    for (ExchangeMode mode : values()) {
      if (mode.optionName().equals(v)) {
        return mode;
      }
    }
    throw new IllegalArgumentException(
        String.format("Invalid mode: %s (expected: shuffle, service or auto)", name));
  }
}
