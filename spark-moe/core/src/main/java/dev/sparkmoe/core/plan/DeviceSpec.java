package dev.sparkmoe.core.plan;

import dev.sparkmoe.core.Checks;

/**
 * One compute device: a GPU, or on a CPU cluster one core of an executor.
 *
 * @param name the name calibration rows use for this device (e.g. {@code h100-sxm}, {@code
 *     cpu-core})
 * @param flopsPerSecond dense 16-bit (GPU) or f32 (CPU) matrix rate
 * @param memoryBytesPerSecond memory bandwidth (HBM, or DRAM per core)
 * @param memoryBytes memory that can hold expert weights
 * @param kernelLaunchSeconds fixed cost of one kernel (GPU) or one BLAS call (CPU), paid once per
 *     kernel whatever its size
 */
public record DeviceSpec(
    String name,
    double flopsPerSecond,
    double memoryBytesPerSecond,
    long memoryBytes,
    double kernelLaunchSeconds) {
  public DeviceSpec {
    Checks.notBlank("device name", name);
    Checks.positive("device FLOP/s", flopsPerSecond);
    Checks.positive("device memory bandwidth", memoryBytesPerSecond);
    Checks.positive("device memory", memoryBytes);
    Checks.nonNegative("kernel launch seconds", kernelLaunchSeconds);
  }

  /** Roofline time of a kernel: the larger of its math time and its memory time. */
  public double rooflineSeconds(double flops, double bytes) {
    return Math.max(flops / flopsPerSecond, bytes / memoryBytesPerSecond);
  }
}
