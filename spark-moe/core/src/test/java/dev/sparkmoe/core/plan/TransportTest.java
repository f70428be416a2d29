package dev.sparkmoe.core.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.sparkmoe.core.placement.PlacementPolicy;
import java.util.List;
import org.junit.jupiter.api.Test;

class TransportTest {
  private static final double TIGHT = 1e-9;

  private static KernelCalibration.Row roundTrip(int tokens, int hidden, double seconds) {
    return new KernelCalibration.Row(
        HostTcp.DEVICE, HostTcp.ROUND_TRIP, "f16", tokens, hidden, 0, seconds);
  }

  @Test
  void hostTcpInterpolatesTheMeasuredRoundTrips() {
    KernelCalibration calibration =
        KernelCalibration.of(
            List.of(
                roundTrip(1000, 1000, 1040e-6),
                roundTrip(10, 1000, 60e-6),
                roundTrip(1, 1000, 41e-6),
                new KernelCalibration.Row("cpu-core", "expert-ffn", "f32", 1, 1000, 1, 1)),
            "test");

    HostTcp tcp = HostTcp.fit(calibration);

    // Hand-computed: points at 2,000 B (41 µs), 20,000 B (60 µs) and 2,000,000 B (1040 µs).
    assertThat(tcp.points()).extracting(HostTcp.Point::bytes).containsExactly(2e3, 2e4, 2e6);
    assertThat(tcp.roundTripSeconds(11_000))
        .as("halfway 2 KB..20 KB")
        .isCloseTo(50.5e-6, within(1e-12));
    assertThat(tcp.roundTripSeconds(1_010_000))
        .as("halfway 20 KB..2 MB: (60 + 1040) / 2")
        .isCloseTo(550e-6, within(1e-12));
    assertThat(tcp.roundTripSeconds(500))
        .as("below the smallest: its round trip")
        .isCloseTo(41e-6, within(1e-12));
    // Past the largest the last segment goes on: 980 µs per 1,980,000 B.
    assertThat(tcp.roundTripSeconds(3_980_000)).isCloseTo(2020e-6, within(1e-12));
    assertThat(tcp.oneWaySeconds(1_010_000)).isCloseTo(275e-6, within(1e-12));
    assertThat(tcp.oneWaySeconds(0)).as("nothing moves: no round trip").isZero();
    assertThat(tcp.source()).isEqualTo("test");
  }

  @Test
  void hostTcpNeedsTwoMessageSizes() {
    KernelCalibration one = KernelCalibration.of(List.of(roundTrip(1, 1024, 40e-6)), "one.csv");

    assertThatThrownBy(() -> HostTcp.fit(one))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot price host TCP from one.csv: 1 measured sizes (expected: two or more; run bench"
                + " transport)");
  }

  @Test
  void allToAllMatchesThePublishedFiguresAtTheirShape() {
    GpuAllToAll deepEp = new GpuAllToAll();
    Transport.Exchange ep16 = new Transport.Exchange(0, 1, 128, 16, 7168);
    Transport.Exchange ep64 = new Transport.Exchange(0, 1, 128, 64, 7168);

    assertThat(deepEp.dispatchSeconds(ep16))
        .as("DeepEP EP16 dispatch")
        .isCloseTo(118e-6, within(1e-12));
    assertThat(deepEp.combineSeconds(ep16))
        .as("DeepEP EP16 combine")
        .isCloseTo(195e-6, within(1e-12));
    assertThat(deepEp.dispatchSeconds(ep64))
        .as("DeepEP EP64 dispatch")
        .isCloseTo(173e-6, within(1e-12));
    assertThat(deepEp.combineSeconds(ep64))
        .as("DeepEP EP64 combine")
        .isCloseTo(314e-6, within(1e-12));
  }

  @Test
  void allToAllInterpolatesInLogRanksAndScalesByTokensAndHidden() {
    GpuAllToAll deepEp = new GpuAllToAll();

    // EP32 is halfway from EP16 to EP64 in log2: (118 + 173) / 2 and (195 + 314) / 2.
    Transport.Exchange ep32 = new Transport.Exchange(0, 1, 128, 32, 7168);
    assertThat(deepEp.dispatchSeconds(ep32)).isCloseTo(145.5e-6, within(1e-12));
    assertThat(deepEp.combineSeconds(ep32)).isCloseTo(254.5e-6, within(1e-12));
    // 64 tokens per rank, hidden 1024, EP16: 118 µs x 1/2 x 1/7.
    Transport.Exchange small = new Transport.Exchange(0, 1, 64, 16, 1024);
    assertThat(deepEp.dispatchSeconds(small)).isCloseTo(118e-6 / 14, within(1e-12));
    // Outside 16..64 ranks the nearest figure holds.
    assertThat(deepEp.dispatchSeconds(new Transport.Exchange(0, 1, 128, 8, 7168)))
        .isCloseTo(118e-6, within(1e-12));
    assertThat(deepEp.combineSeconds(new Transport.Exchange(0, 1, 128, 256, 7168)))
        .isCloseTo(314e-6, within(1e-12));
  }

  /**
   * Two GPUs in one node, one expert each, one layer, top-1: each owns T/2 tokens and sends a
   * quarter of the T pairs to the other GPU, so a device's exchange is T/4 pairs one way.
   */
  @Test
  void costModelPricesEachDirectionByTheTransport() {
    int hidden = 1024;
    long tokens = 4096;
    ModelShape model = new ModelShape("m", 1, 2, 1, hidden, 2048, 0, 0, 2);
    ClusterSpec cluster = ClusterPresets.h100(1, 2);
    Workload workload = Workload.gpuBatch(tokens, 64);
    Layout layout = Layouts.of(PlacementPolicy.ONE_PER_GPU, model, 2);
    double bytes = tokens / 4.0 * (hidden * 2 + Workload.PAIR_OVERHEAD_BYTES);
    // 40 µs plus 0.5 ns per byte each way: one-way 20 µs + bytes / 4 GB/s.
    HostTcp tcp =
        new HostTcp(
            List.of(new HostTcp.Point(1, 40e-6 + 0.5e-9), new HostTcp.Point(1e8, 40e-6 + 0.05)),
            "test");

    LayerCost overTcp =
        CostModel.uncalibrated()
            .withTransport(tcp)
            .predict(cluster, model, workload, layout)
            .layers()
            .get(0);
    LayerCost overAllToAll =
        CostModel.uncalibrated()
            .withTransport(new GpuAllToAll())
            .predict(cluster, model, workload, layout)
            .layers()
            .get(0);
    LayerCost overLinks =
        CostModel.uncalibrated().predict(cluster, model, workload, layout).layers().get(0);

    double tcpOneWay = 20e-6 + bytes / 4e9;
    assertThat(bytes).as("inside the measured sizes").isBetween(1.0, 1e8);
    assertThat(overTcp.dispatchSeconds()).isCloseTo(tcpOneWay, within(tcpOneWay * TIGHT));
    assertThat(overTcp.combineSeconds()).isCloseTo(tcpOneWay, within(tcpOneWay * TIGHT));
    // Two ranks: the EP16 figures, at 2048 tokens per rank and hidden 1024.
    double scale = 2048 / 128.0 * 1024 / 7168;
    assertThat(overAllToAll.dispatchSeconds()).isCloseTo(118e-6 * scale, within(1e-12));
    assertThat(overAllToAll.combineSeconds()).isCloseTo(195e-6 * scale, within(1e-12));
    double nvlink = 2e-6 + bytes / 450e9;
    assertThat(overLinks.dispatchSeconds())
        .as("links: NVLink 4, 450 GB/s and 2 µs")
        .isCloseTo(nvlink, within(nvlink * TIGHT));
    assertThat(overTcp.expertSeconds())
        .as("the transport changes the exchange only")
        .isEqualTo(overLinks.expertSeconds());
    assertThat(overTcp.totalSeconds())
        .as("owner + overlapped(dispatch, experts, combine)")
        .isCloseTo(
            overTcp.ownerSeconds()
                + StreamLayerModel.overlapped(tcpOneWay, overTcp.expertSeconds(), tcpOneWay),
            within(1e-12));
  }
}
