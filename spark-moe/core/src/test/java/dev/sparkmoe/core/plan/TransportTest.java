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
  void hostTcpFitsTheLineThroughTheSmallestAndLargestMessage() {
    KernelCalibration calibration =
        KernelCalibration.of(
            List.of(
                roundTrip(1000, 1000, 1040e-6),
                roundTrip(10, 1000, 60e-6), // in between: not used by the fit
                roundTrip(1, 1000, 41e-6),
                new KernelCalibration.Row("cpu-core", "expert-ffn", "f32", 1, 1000, 1, 1)),
            "test");

    HostTcp tcp = HostTcp.fit(calibration);

    // Hand-computed: 2,000 and 2,000,000 bytes each way; slope (1040 - 41) µs / 1,998,000 B =
    // 0.5 ns/B for both directions, so 4 GB/s each way; intercept 41 µs - 0.5 ns/B x 2,000 B.
    assertThat(tcp.bytesPerSecond()).isCloseTo(4e9, within(4e9 * TIGHT));
    assertThat(tcp.roundTripSeconds()).isCloseTo(40e-6, within(40e-6 * TIGHT));
    assertThat(tcp.source()).isEqualTo("test");
  }

  @Test
  void hostTcpOneWayIsHalfARoundTripPlusTheBytes() {
    HostTcp tcp = new HostTcp(40e-6, 4e9, "test");

    assertThat(tcp.oneWaySeconds(8e6))
        .as("20 µs + 8 MB at 4 GB/s")
        .isCloseTo(2.02e-3, within(1e-12));
    assertThat(tcp.oneWaySeconds(0)).as("nothing moves: no round trip").isZero();
  }

  @Test
  void hostTcpNeedsTwoMessageSizes() {
    KernelCalibration one = KernelCalibration.of(List.of(roundTrip(1, 1024, 40e-6)), "one.csv");

    assertThatThrownBy(() -> HostTcp.fit(one))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot fit host TCP from one.csv: 1 loopback-tcp/round-trip rows (expected: two"
                + " message sizes or more; run bench transport)");
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
    HostTcp tcp = new HostTcp(40e-6, 4e9, "test");

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
