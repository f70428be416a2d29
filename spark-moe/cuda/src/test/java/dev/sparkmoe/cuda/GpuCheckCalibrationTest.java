package dev.sparkmoe.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.core.plan.KernelCalibration;
import org.junit.jupiter.api.Test;

/** The GPU check's calibration output reads back as the planner's calibration (no GPU needed). */
class GpuCheckCalibrationTest {
  @Test
  void namesTheDeviceAsTheClusterPresetsDo() {
    assertThat(GpuCheck.plannerDevice("NVIDIA H200 (sm_90, 139.8 GiB)")).isEqualTo("h200-sxm");
    assertThat(GpuCheck.plannerDevice("NVIDIA H100 80GB HBM3")).isEqualTo("h100-sxm");
    assertThat(GpuCheck.plannerDevice("NVIDIA A100-SXM4-80GB")).isEqualTo("nvidia-a100-sxm4-80gb");
  }

  @Test
  void rowsParseAsKernelCalibration() {
    String csv =
        "device,kernel,dtype,tokens,hidden,ffn,seconds\n"
            + GpuCheck.calibrationRow("NVIDIA H200", TensorDtype.BF16, 128, 1024, 2816, 0.05)
            + GpuCheck.calibrationRow("NVIDIA H200", TensorDtype.BF16, 1024, 1024, 2816, 0.25);

    KernelCalibration calibration = KernelCalibration.parse(csv, "gpu-check");

    assertThat(calibration.covers("h200-sxm", "expert-ffn")).isTrue();
    // Linear in tokens between the two rows: 576 tokens lies halfway, 0.15 ms.
    assertThat(calibration.expertSeconds("h200-sxm", 576, 1024, 2816).getAsDouble())
        .isCloseTo(0.15e-3, org.assertj.core.data.Offset.offset(1e-9));
  }
}
