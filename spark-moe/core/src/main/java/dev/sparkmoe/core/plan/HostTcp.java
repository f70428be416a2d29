package dev.sparkmoe.core.plan;

import dev.sparkmoe.core.Checks;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Host-staged TCP: each direction of an exchange costs half the measured round trip of a message of
 * the slowest device's bytes. A lower bound for a JVM expert service on GPUs: it leaves out the
 * device-to-host and host-to-device copies, one connection per peer, and a real network (the
 * calibration measures loopback).
 *
 * <p>Calibrated by {@code bench transport}, which times ping-pongs of {@code tokens × hidden} f16
 * values over a real loopback socket and stores them as {@link KernelCalibration} rows of device
 * {@value #DEVICE}, kernel {@value #ROUND_TRIP}: a message out and an equal reply back. Between
 * measured sizes the round trip is interpolated linearly; below the smallest it is the smallest's
 * (latency-bound); above the largest the last segment is extended. A single line through all sizes
 * would misprice the middle: on a busy machine messages past the socket buffers are far slower per
 * byte than those that fit.
 *
 * @param points measured round trips, by message size, at least two sizes, sorted by size
 * @param source where the figures come from
 */
public record HostTcp(List<Point> points, String source) implements Transport {
  /** Calibration rows' device: a TCP connection over the host's loopback. */
  public static final String DEVICE = "loopback-tcp";

  /** Calibration rows' kernel: one message out and an equal-sized reply back. */
  public static final String ROUND_TRIP = "round-trip";

  /** Bytes per value in the calibration's messages (f16 activations). */
  public static final int VALUE_BYTES = 2;

  /**
   * One measurement.
   *
   * @param bytes the message's size, each way
   * @param roundTripSeconds the message out and its equal reply back
   */
  public record Point(double bytes, double roundTripSeconds) {
    public Point {
      Checks.positive("TCP message bytes", bytes);
      Checks.positive("TCP round trip", roundTripSeconds);
    }
  }

  public HostTcp {
    Checks.notBlank("TCP figures' source", source);
    points = points.stream().sorted(Comparator.comparingDouble(Point::bytes)).toList();
    Checks.checkArgument(
        points.size() >= 2 && points.get(0).bytes() < points.get(points.size() - 1).bytes(),
        "Cannot price host TCP from %s: %d measured sizes (expected: two or more; run bench"
            + " transport)",
        source,
        points.size());
  }

  /**
   * The calibration's {@value #DEVICE}/{@value #ROUND_TRIP} rows.
   *
   * @throws IllegalArgumentException when it has fewer than two message sizes
   */
  public static HostTcp fit(KernelCalibration calibration) {
    List<Point> points =
        calibration.rows().stream()
            .filter(r -> r.device().equals(DEVICE) && r.kernel().equals(ROUND_TRIP))
            .map(r -> new Point((double) r.tokens() * r.hidden() * VALUE_BYTES, r.seconds()))
            .toList();
    return new HostTcp(points, calibration.source());
  }

  /** Whether {@code calibration} has host TCP rows to {@link #fit}. */
  public static boolean covers(KernelCalibration calibration) {
    return calibration.covers(DEVICE, ROUND_TRIP);
  }

  /** The round trip of a message of {@code bytes} each way, from the measured points. */
  public double roundTripSeconds(double bytes) {
    Point first = points.get(0);
    if (bytes <= first.bytes()) {
      return first.roundTripSeconds();
    }
    int upper = 1;
    while (upper < points.size() - 1 && points.get(upper).bytes() < bytes) {
      upper++;
    }
    Point a = points.get(upper - 1);
    Point b = points.get(upper);
    double slope = (b.roundTripSeconds() - a.roundTripSeconds()) / (b.bytes() - a.bytes());
    return Math.max(first.roundTripSeconds(), a.roundTripSeconds() + slope * (bytes - a.bytes()));
  }

  /** Half the round trip of {@code bytes}; nothing when no byte moves. */
  public double oneWaySeconds(double bytes) {
    return bytes <= 0 ? 0 : roundTripSeconds(bytes) / 2;
  }

  @Override
  public String name() {
    return "host-tcp";
  }

  @Override
  public String description() {
    StringBuilder measured = new StringBuilder();
    for (Point p : points) {
      measured.append(
          String.format(
              Locale.ROOT,
              "%s%.1f µs at %.0f KB",
              measured.isEmpty() ? "" : ", ",
              p.roundTripSeconds() * 1e6,
              p.bytes() / 1024));
    }
    return "host-staged TCP, round trips "
        + measured
        + " ("
        + source
        + "; no PCIe copies: a lower bound)";
  }

  @Override
  public double dispatchSeconds(Exchange exchange) {
    return oneWaySeconds(exchange.bytes());
  }

  @Override
  public double combineSeconds(Exchange exchange) {
    return oneWaySeconds(exchange.bytes());
  }
}
