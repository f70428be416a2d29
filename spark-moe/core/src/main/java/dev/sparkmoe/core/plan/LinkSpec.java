package dev.sparkmoe.core.plan;

import dev.sparkmoe.core.Checks;

/**
 * A link class between devices: per-device bandwidth in one direction and the latency of one
 * exchange over it.
 *
 * @param bytesPerSecond what one device can send (and, at the same time, receive) over this class
 * @param latencySeconds fixed cost of one exchange step, whatever its size
 */
public record LinkSpec(double bytesPerSecond, double latencySeconds) {
  public LinkSpec {
    Checks.positive("link bandwidth", bytesPerSecond);
    Checks.nonNegative("link latency", latencySeconds);
  }

  /** Time to move {@code bytes} one way: the latency when anything moves, plus the transfer. */
  public double seconds(double bytes) {
    return bytes <= 0 ? 0 : latencySeconds + bytes / bytesPerSecond;
  }
}
