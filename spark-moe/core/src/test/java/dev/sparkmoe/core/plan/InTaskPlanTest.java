package dev.sparkmoe.core.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.core.placement.PlacementPolicy;
import org.junit.jupiter.api.Test;

/** The cost model's in-task placement: priced without exchanges, chosen where it fits. */
class InTaskPlanTest {
  private final ModelShape model = ModelShape.preset("seed-4x16").withWeightBytes(4);
  private final Planner planner = new Planner(CostModel.uncalibrated());
  private final ClusterSpec cpu = ClusterPresets.cpuLocal(1, ClusterPresets.LOCAL_SPARK);
  private final Workload run = Workload.sparkRun(16_384, 128, 4, 1);

  @Test
  void inTaskHasNoExchangeNorLayerStages() {
    Prediction p = CostModel.uncalibrated().predict(cpu, model, run, Layouts.inTask(model, 2));
    for (LayerCost layer : p.layers()) {
      assertThat(layer.dispatchSeconds()).as("layer %d dispatch", layer.layer()).isZero();
      assertThat(layer.combineSeconds()).as("layer %d combine", layer.layer()).isZero();
      assertThat(layer.overheadSeconds()).as("layer %d stage overhead", layer.layer()).isZero();
      assertThat(layer.expertSeconds()).as("layer %d experts", layer.layer()).isPositive();
    }
    Prediction shared =
        CostModel.uncalibrated()
            .predict(cpu, model, run, Layouts.of(PlacementPolicy.SHARED_LAYERS, model, 2));
    assertThat(p.tokensPerSecond())
        .as("one CPU machine: in-task beats the shuffle placements")
        .isGreaterThan(shared.tokensPerSecond());
  }

  @Test
  void planListsInTaskOnSparkClustersOnly() {
    assertThat(planner.rank(cpu, model, run)).extracting(Prediction::layout).contains("in-task");
    assertThat(planner.rank(ClusterPresets.h100(1, 8), model, Workload.gpuBatch(1024, 128)))
        .extracting(Prediction::layout)
        .doesNotContain("in-task");
  }

  @Test
  void autoChoosesInTaskOnlyWhenTheExpertsFitTheExecutor() {
    long bytes =
        (long) model.layers()
            * (model.experts() * model.expertWeightBytes() + model.ownerWeightBytes());
    assertThat(planner.choose(cpu, model, run, 2, 4 * bytes)).isEqualTo(PlacementPolicy.IN_TASK);
    assertThat(planner.choose(cpu, model, run, 2, bytes))
        .as("no headroom left: the experts would take all of the executor's memory")
        .isNotEqualTo(PlacementPolicy.IN_TASK);
    assertThat(planner.choose(cpu, model, run, 2))
        .as("executor memory unknown")
        .isNotEqualTo(PlacementPolicy.IN_TASK);
    assertThat(Planner.inTaskFits(model, (long) (bytes / Planner.IN_TASK_MEMORY_FRACTION) + 1))
        .isTrue();
  }
}
