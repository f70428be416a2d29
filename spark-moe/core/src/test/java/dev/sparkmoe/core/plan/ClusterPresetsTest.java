package dev.sparkmoe.core.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ClusterPresetsTest {
  @Test
  void parsesGpuAndCpuPresets() {
    ClusterSpec h100 = ClusterPresets.parse("h100-8x8");
    ClusterSpec h200 = ClusterPresets.parse("H200-2x4");
    ClusterSpec cpu = ClusterPresets.parse("cpu-local:3");

    assertThat(h100.devices()).isEqualTo(64);
    assertThat(h100.nodeOf(17)).isEqualTo(2);
    assertThat(h100.execution()).isEqualTo(ClusterSpec.Execution.DEVICE_STREAMS);
    assertThat(h100.interNode().bytesPerSecond()).as("400 Gb/s").isEqualTo(50e9);
    assertThat(h200.name()).isEqualTo("h200-2x4");
    assertThat(h200.device().memoryBytesPerSecond()).isEqualTo(4.8e12);
    assertThat(cpu.devices()).isEqualTo(3);
    assertThat(cpu.execution()).isEqualTo(ClusterSpec.Execution.SPARK_TASKS);
    assertThat(ClusterPresets.parse("cpu-local").devices()).isEqualTo(4);
  }

  @ParameterizedTest
  @ValueSource(strings = {"h100", "a100-8x8", "h100-0x8", "cpu-local:0", "cpu-local:x"})
  void rejectsUnknownNames(String name) {
    assertThatThrownBy(() -> ClusterPresets.parse(name))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid cluster: "
                + name
                + " (expected: h100-NxG, h200-NxG such as h100-8x8, or cpu-local[:N])");
  }

  @Test
  void rejectsADeviceWithoutBandwidth() {
    assertThatThrownBy(() -> new DeviceSpec("x", 1e12, 0, 1, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid device memory bandwidth: 0.0 (expected: a positive number)");
  }
}
