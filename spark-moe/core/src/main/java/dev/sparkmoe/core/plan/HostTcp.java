package dev.sparkmoe.core.plan;

import dev.sparkmoe.core.Checks;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Host-staged TCP: each direction of an exchange costs half a round trip plus the slowest device's
 * bytes at the connection's bandwidth. A lower bound for a JVM expert service on GPUs: it leaves
 * out the device-to-host and host-to-device copies, one connection per peer, and a real network
 * (the calibration measures loopback).
 *
 * <p>Calibrated by {@code bench transport}, which times ping-pongs of {@code tokens × hidden} f16
 * values over a real loopback socket and stores them as {@link KernelCalibration} rows of device
 * {@value #DEVICE}, kernel {@value #ROUND_TRIP}: a message out and an equal reply back.
 *
 * @param roundTripSeconds time of an empty message there and back
 * @param bytesPerSecond one direction's bandwidth
 * @param source where the figures come from
 */
public record HostTcp(double roundTripSeconds, double bytesPerSecond, String source)
    implements Transport {
  /** Calibration rows' device: a TCP connection over the host's loopback. */
  public static final String DEVICE = "loopback-tcp";

  /** Calibration rows' kernel: one message out and an equal-sized reply back. */
  public static final String ROUND_TRIP = "round-trip";

  /** Bytes per value in the calibration's messages (f16 activations). */
  public static final int VALUE_BYTES = 2;

  public HostTcp {
    Checks.nonNegative("TCP round trip", roundTripSeconds);
    Checks.positive("TCP bandwidth", bytesPerSecond);
    Checks.notBlank("TCP figures' source", source);
  }

  /**
   * The line through the smallest and the largest calibrated message: its intercept is the round
   * trip (0 if the line passes below), and since a round trip moves the message twice, one
   * direction's bandwidth is twice the inverse of its slope.
   *
   * @throws IllegalArgumentException when {@code calibration} has fewer than two message sizes
   */
  public static HostTcp fit(KernelCalibration calibration) {
    List<KernelCalibration.Row> rows =
        calibration.rows().stream()
            .filter(r -> r.device().equals(DEVICE) && r.kernel().equals(ROUND_TRIP))
            .sorted(Comparator.comparingDouble(HostTcp::messageBytes))
            .toList();
    Checks.checkArgument(
        rows.size() >= 2 && messageBytes(rows.get(0)) < messageBytes(rows.get(rows.size() - 1)),
        "Cannot fit host TCP from %s: %d %s/%s rows (expected: two message sizes or more; run"
            + " bench transport)",
        calibration.source(),
        rows.size(),
        DEVICE,
        ROUND_TRIP);
    KernelCalibration.Row small = rows.get(0);
    KernelCalibration.Row large = rows.get(rows.size() - 1);
    double slope =
        (large.seconds() - small.seconds()) / (messageBytes(large) - messageBytes(small));
    Checks.checkArgument(
        slope > 0,
        "Cannot fit host TCP from %s: the largest message's round trip (%.3g s) is not longer"
            + " than the smallest's (%.3g s)",
        calibration.source(),
        large.seconds(),
        small.seconds());
    double roundTrip = Math.max(0, small.seconds() - slope * messageBytes(small));
    return new HostTcp(roundTrip, 2 / slope, calibration.source());
  }

  /** Whether {@code calibration} has host TCP rows to {@link #fit}. */
  public static boolean covers(KernelCalibration calibration) {
    return calibration.covers(DEVICE, ROUND_TRIP);
  }

  /** Bytes of one direction of a calibration row's round trip. */
  static double messageBytes(KernelCalibration.Row row) {
    return (double) row.tokens() * row.hidden() * VALUE_BYTES;
  }

  /** Half a round trip, plus the bytes at the bandwidth; nothing when no byte moves. */
  public double oneWaySeconds(double bytes) {
    return bytes <= 0 ? 0 : roundTripSeconds / 2 + bytes / bytesPerSecond;
  }

  @Override
  public String name() {
    return "host-tcp";
  }

  @Override
  public String description() {
    return String.format(
        Locale.ROOT,
        "host-staged TCP, %.1f µs round trip, %.2f GB/s (%s; no PCIe copies: a lower bound)",
        roundTripSeconds * 1e6,
        bytesPerSecond / 1e9,
        source);
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
