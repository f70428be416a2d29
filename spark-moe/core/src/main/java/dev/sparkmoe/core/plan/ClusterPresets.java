package dev.sparkmoe.core.plan;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Named clusters. GPU figures are datasheet figures, not fitted to any result:
 *
 * <ul>
 *   <li>H100 SXM5: 989 TFLOP/s dense FP16/BF16 tensor math, 3.35 TB/s HBM3, 80 GB; H200 SXM: the
 *       same math, 4.8 TB/s HBM3e, 141 GB.
 *   <li>NVLink 4 inside a node: 900 GB/s per GPU both ways together, so 450 GB/s each way; 2 µs per
 *       exchange (NCCL's small-message latency on NVLink).
 *   <li>Between nodes one 400 Gb/s InfiniBand NDR port per GPU: 50 GB/s each way; 5 µs per exchange
 *       (NIC, switch and NCCL's software path).
 *   <li>4 µs per kernel: the host-side cost of launching a small CUDA kernel, paid once per kernel
 *       whatever its size.
 * </ul>
 *
 * <p>{@code cpu-local[:N]} is this project's build machine as measured (see {@link #cpuLocal}).
 * Names: {@code h100-8x8} and {@code h200-8x8} (nodes × GPUs per node; any {@code h100-NxG} works),
 * {@code cpu-local}, {@code cpu-local:4}.
 */
public final class ClusterPresets {
  /** The device name CPU calibration rows use: one core of an executor. */
  public static final String CPU_CORE = "cpu-core";

  public static final DeviceSpec H100 =
      new DeviceSpec("h100-sxm", 989e12, 3.35e12, 80_000_000_000L, 4e-6);
  public static final DeviceSpec H200 =
      new DeviceSpec("h200-sxm", 989e12, 4.8e12, 141_000_000_000L, 4e-6);
  public static final LinkSpec NVLINK4 = new LinkSpec(450e9, 2e-6);
  public static final LinkSpec INFINIBAND_NDR = new LinkSpec(50e9, 5e-6);

  /**
   * One core of the build machine (AMD EPYC, 2 cores, AVX-512), measured with OpenBLAS on one
   * thread by {@link CpuKernelMeasurement} on 2026-11-28 while other builds kept the load average
   * between 5 and 17: the expert FFN at hidden 1024, ffn 2816 ran at about 55 GFLOP/s for 1024
   * tokens and more. Memory bandwidth (8 GB/s per core) and the 2 µs per BLAS call are assumptions,
   * not measurements. Calibration rows replace the rate with measured kernel times.
   */
  public static final DeviceSpec CPU = new DeviceSpec(CPU_CORE, 55e9, 8e9, 1_500_000_000L, 2e-6);

  /**
   * Spark on the build machine: the medians of the probes {@code bench placements} ran on three
   * fresh 4-executor local-clusters on 2026-11-28 (load average 13 to 17, so an idle machine costs
   * less): 14 ms per task, 0.33 s per stage, 62 ns of CPU per byte across an exchange.
   */
  public static final SparkCosts LOCAL_SPARK = new SparkCosts(2, 14e-3, 0.33, 62e-9);

  /**
   * Host-staged TCP as {@code bench transport} measured it on the build machine's loopback on
   * 2026-12-02 14:27 (load average 18 on 2 cores, so an idle machine does better): median round
   * trips of 1, 16, 128, 1,024 and 4,096 tokens of 1,024 f16 values. {@code moe plan --calibration}
   * with the benchmark's CSV replaces them.
   */
  public static final HostTcp LOOPBACK_TCP =
      new HostTcp(
          List.of(
              new HostTcp.Point(2_048, 24.6e-6),
              new HostTcp.Point(32_768, 22.1e-6),
              new HostTcp.Point(262_144, 112.9e-6),
              new HostTcp.Point(2_097_152, 8_169.6e-6),
              new HostTcp.Point(8_388_608, 39_198.9e-6)),
          "loopback measured by bench transport, 2026-12-02");

  private static final Pattern GPU = Pattern.compile("(h100|h200)-(\\d+)x(\\d+)");
  private static final Pattern CPU_LOCAL = Pattern.compile("cpu-local(?::(\\d+))?");

  private ClusterPresets() {}

  /** {@code nodes} DGX-style nodes of {@code gpusPerNode} H100s. */
  public static ClusterSpec h100(int nodes, int gpusPerNode) {
    return new ClusterSpec(
        "h100-" + nodes + "x" + gpusPerNode,
        nodes,
        gpusPerNode,
        H100,
        NVLINK4,
        INFINIBAND_NDR,
        null);
  }

  /** {@code nodes} HGX-style nodes of {@code gpusPerNode} H200s. */
  public static ClusterSpec h200(int nodes, int gpusPerNode) {
    return new ClusterSpec(
        "h200-" + nodes + "x" + gpusPerNode,
        nodes,
        gpusPerNode,
        H200,
        NVLINK4,
        INFINIBAND_NDR,
        null);
  }

  /**
   * {@code executors} one-core executor JVMs on one machine sharing its cores, with Spark's
   * measured costs.
   */
  public static ClusterSpec cpuLocal(int executors, SparkCosts costs) {
    // Executors talk through the shuffle, priced by costs.exchangeSecondsPerByte; the links only
    // matter on a GPU cluster.
    LinkSpec loopback = new LinkSpec(1 / Math.max(costs.exchangeSecondsPerByte(), 1e-12), 0);
    return new ClusterSpec("cpu-local:" + executors, 1, executors, CPU, loopback, loopback, costs);
  }

  /** A preset by name; see the class documentation. */
  public static ClusterSpec parse(String name) {
    String value = name.trim().toLowerCase(Locale.ROOT);
    Matcher gpu = GPU.matcher(value);
    if (gpu.matches()) {
      int nodes = positive(gpu.group(2), name);
      int perNode = positive(gpu.group(3), name);
      return gpu.group(1).equals("h100") ? h100(nodes, perNode) : h200(nodes, perNode);
    }
    Matcher cpu = CPU_LOCAL.matcher(value);
    if (cpu.matches()) {
      int executors = cpu.group(1) == null ? 4 : positive(cpu.group(1), name);
      return cpuLocal(executors, LOCAL_SPARK);
    }
    throw invalid(name);
  }

  private static int positive(String digits, String name) {
    try {
      int value = Integer.parseInt(digits);
      if (value >= 1) {
        return value;
      }
    } catch (NumberFormatException e) {
      // fall through to the message below
    }
    throw invalid(name);
  }

  private static IllegalArgumentException invalid(String name) {
    return new IllegalArgumentException(
        String.format(
            "Invalid cluster: %s (expected: h100-NxG, h200-NxG such as h100-8x8, or cpu-local[:N])",
            name));
  }
}
