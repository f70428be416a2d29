package dev.sparkmoe.core.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.sparkmoe.core.placement.PlacementPolicy;
import org.junit.jupiter.api.Test;

class LayoutsTest {
  private final ModelShape model = ModelShape.preset("seed-4x16");

  @Test
  void onePerGpuGivesEachLayerItsOwnDevices() {
    Layout layout = Layouts.of(PlacementPolicy.ONE_PER_GPU, model, 64);

    assertThat(layout.numDevices()).isEqualTo(64);
    assertThat(layout.maxExpertsPerDevice()).isEqualTo(1.0);
    assertThat(layout.stageStarts()).containsExactly(0, 1, 2, 3);
    assertThat(layout.pipelines()).isTrue();
    assertThat(layout.owners(2))
        .as("layer 2 owns on its experts' devices")
        .startsWith(32)
        .endsWith(47);
  }

  @Test
  void sharedLayersReuseTheSameDevicesAndCannotPipeline() {
    Layout layout = Layouts.of(PlacementPolicy.SHARED_LAYERS, model, 16);

    assertThat(layout.maxExpertsPerDevice()).as("expert e of all 4 layers").isEqualTo(4.0);
    assertThat(layout.stageStarts()).containsExactly(0);
    assertThat(layout.pipelines()).isFalse();
  }

  @Test
  void tensorPipelineSplitsEveryExpertOverItsStage() {
    Layout layout = Layouts.tensorPipeline(model, 8, 2);

    assertThat(layout.numDevices()).isEqualTo(16);
    assertThat(layout.maxExpertsPerDevice())
        .as("2 layers x 16 experts / 8 devices")
        .isCloseTo(4.0, within(1e-12));
    assertThat(layout.stageStarts()).containsExactly(0, 2);
    assertThat(layout.pipelines()).isTrue();
    assertThat(layout.shards(3, 5))
        .hasSize(8)
        .allSatisfy(
            s -> {
              assertThat(s.tokenFraction()).isEqualTo(1.0);
              assertThat(s.weightFraction()).isEqualTo(1.0 / 8);
              assertThat(s.device()).isBetween(8, 15);
            });
  }

  @Test
  void replicasSplitTheTokensOfAnExpert() {
    Layout layout = Layouts.replicated(model, 2);

    assertThat(layout.numDevices()).isEqualTo(128);
    assertThat(layout.shards(1, 3))
        .extracting(Layout.Shard::device)
        .containsExactly(1 * 16 + 3, 64 + 1 * 16 + 3);
    assertThat(layout.shards(1, 3).stream().mapToDouble(Layout.Shard::tokenFraction).sum())
        .isEqualTo(1.0);
  }

  @Test
  void rejectsPipelineStagesThatDoNotDivideTheLayers() {
    assertThatThrownBy(() -> Layouts.tensorPipeline(model, 8, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid pipeline stages: 3 (expected: a divisor of the 4 layers)");
  }
}
