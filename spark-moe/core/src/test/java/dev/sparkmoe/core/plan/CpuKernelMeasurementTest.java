package dev.sparkmoe.core.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.core.model.Architecture;
import dev.sparkmoe.core.model.ModelConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class CpuKernelMeasurementTest {
  @Test
  void measuresTheExpertAtEachTokenCountAndOneAttention() {
    ModelConfig config =
        ModelConfig.builder(Architecture.MIXTRAL)
            .shape(64, 2, 512)
            .heads(4, 2, 16)
            .experts(8, 2, 96)
            .maxPositionEmbeddings(256)
            .build();

    List<KernelCalibration.Row> rows = CpuKernelMeasurement.measure(config, new int[] {8, 64}, 32);

    assertThat(rows).hasSize(3);
    assertThat(rows)
        .allSatisfy(
            r -> {
              assertThat(r.device()).isEqualTo(ClusterPresets.CPU_CORE);
              assertThat(r.seconds()).isPositive();
              assertThat(r.hidden()).isEqualTo(64);
            });
    assertThat(rows)
        .extracting(KernelCalibration.Row::kernel)
        .containsExactly("expert-ffn", "expert-ffn", "attention");
    assertThat(rows).extracting(KernelCalibration.Row::tokens).containsExactly(8, 64, 32);
    KernelCalibration calibration = KernelCalibration.of(rows, "test");
    assertThat(calibration.attentionSeconds(ClusterPresets.CPU_CORE, 32, 64)).isPresent();
  }
}
