package dev.sparkmoe.core.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.placement.PlacementPolicy;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlannerTest {
  private final ModelShape model = ModelShape.preset("seed-4x16");
  private final Planner planner = new Planner(CostModel.uncalibrated());

  @Test
  void ranksByThroughputAndRecommendsTheFastestThatFits() {
    List<Prediction> ranked =
        planner.rank(ClusterPresets.h100(8, 8), model, Workload.gpuBatch(1024, 128));

    assertThat(ranked)
        .extracting(Prediction::layout)
        .contains("one-per-gpu", "tp8-pp2", "shared-layers");
    for (int i = 1; i < ranked.size(); i++) {
      assertThat(ranked.get(i - 1).tokensPerSecond())
          .isGreaterThanOrEqualTo(ranked.get(i).tokensPerSecond());
    }
    assertThat(planner.recommend(ClusterPresets.h100(8, 8), model, Workload.gpuBatch(1024, 128)))
        .isEqualTo(ranked.get(0));
  }

  @Test
  void referenceExperimentFavoursOneExpertPerGpu() {
    ReferenceExperiment.Comparison c =
        ReferenceExperiment.compare(
            CostModel.uncalibrated(),
            ClusterPresets.h100(8, 8),
            model,
            Workload.gpuBatch(1024, 128));

    assertThat(c.onePerGpu().devices()).isEqualTo(64);
    assertThat(c.colocated().devices()).isEqualTo(16);
    assertThat(c.colocated().expertsPerDevice()).isEqualTo(4.0);
    assertThat(c.oneBatchRatio())
        .as("one expert per GPU is faster per decoding step")
        .isGreaterThan(1);
    assertThat(c.secondsPerTokenRatio())
        .isEqualTo(c.oneBatchRatio(), org.assertj.core.api.Assertions.within(1e-9));
  }

  @Test
  void choosesAPipelinePolicyForTheSlotsAtHand() {
    ClusterSpec cpu = ClusterPresets.cpuLocal(4, ClusterPresets.LOCAL_SPARK);
    Workload workload = Workload.sparkRun(16_384, 128, 4, 4);

    PlacementPolicy few = planner.choose(cpu, model.withWeightBytes(4), workload, 4);
    PlacementPolicy many =
        planner.choose(ClusterPresets.h100(8, 8), model, Workload.gpuBatch(1024, 128), 64);

    assertThat(few.kind())
        .as("4 slots cannot hold one expert each")
        .isNotEqualTo(PlacementPolicy.Kind.ONE_PER_GPU);
    assertThat(many).isEqualTo(PlacementPolicy.ONE_PER_GPU);
  }

  @Test
  void refusesWhenNothingFits() {
    DeviceSpec small = new DeviceSpec("small", 1e12, 1e12, 1_000_000L, 0);
    ClusterSpec cluster =
        new ClusterSpec(
            "small-2x2", 2, 2, small, ClusterPresets.NVLINK4, ClusterPresets.INFINIBAND_NDR, null);

    assertThatThrownBy(() -> planner.recommend(cluster, model, Workload.gpuBatch(1024, 128)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Cannot place seed-4x16 on small-2x2: no placement fits in device memory");
  }
}
