package dev.sparkmoe.core.plan;

import dev.sparkmoe.core.Checks;
import java.util.Locale;

/**
 * A cluster the cost model can price: {@code nodes × devicesPerNode} identical devices, a fast link
 * inside a node (NVLink) and a slower one between nodes (InfiniBand), per device.
 *
 * <p>Two ways of running, told apart by {@code spark}: without it, devices run their own streams
 * and move data over the links while they compute (a GPU cluster); with it, devices are Spark
 * executors on shared cores, every exchange is a stage boundary and moving bytes costs CPU time (a
 * CPU cluster).
 *
 * @param name what users call it ({@code h100-8x8})
 * @param nodes machines
 * @param devicesPerNode GPUs (or executors) per machine
 * @param device one device
 * @param intraNode link between devices of one node
 * @param interNode link between nodes, per device
 * @param spark Spark's costs for a CPU cluster, or null for a GPU cluster
 */
public record ClusterSpec(
    String name,
    int nodes,
    int devicesPerNode,
    DeviceSpec device,
    LinkSpec intraNode,
    LinkSpec interNode,
    SparkCosts spark) {

  /** How devices run and exchange data. */
  public enum Execution {
    /** Devices compute and communicate concurrently (GPU streams, NVLink, InfiniBand). */
    DEVICE_STREAMS,
    /** Spark stages on shared CPU cores; exchanges are shuffles that cost CPU. */
    SPARK_TASKS
  }

  public ClusterSpec {
    Checks.notBlank("cluster name", name);
    Checks.atLeast("nodes", nodes, 1);
    Checks.atLeast("devices per node", devicesPerNode, 1);
    if (device == null || intraNode == null || interNode == null) {
      throw new IllegalArgumentException(
          "Invalid cluster " + name + ": device and links are required");
    }
  }

  public Execution execution() {
    return spark == null ? Execution.DEVICE_STREAMS : Execution.SPARK_TASKS;
  }

  public int devices() {
    return nodes * devicesPerNode;
  }

  /** The node of device {@code device} (devices are numbered node by node). */
  public int nodeOf(int device) {
    return device / devicesPerNode;
  }

  /** The same cluster with another number of nodes. */
  public ClusterSpec withNodes(int count) {
    return new ClusterSpec(name, count, devicesPerNode, device, intraNode, interNode, spark);
  }

  /** The same cluster with measured kernel rates replacing the device's datasheet rate. */
  public ClusterSpec withDevice(DeviceSpec value) {
    return new ClusterSpec(name, nodes, devicesPerNode, value, intraNode, interNode, spark);
  }

  @Override
  public String toString() {
    if (spark != null) {
      return String.format(
          Locale.ROOT,
          "%s: %d executors of one core on %d shared cores, %.0f GFLOP/s per core (datasheet);"
              + " Spark: %.1f ms per task, %.1f ms per stage, %.2f ns of CPU per byte exchanged",
          name,
          devices(),
          spark.cores(),
          device.flopsPerSecond() / 1e9,
          spark.taskSeconds() * 1e3,
          spark.stageSeconds() * 1e3,
          spark.exchangeSecondsPerByte() * 1e9);
    }
    return String.format(
        Locale.ROOT,
        "%s: %d x %d %s (%.0f TFLOP/s, %.2f TB/s, %d GB), intra-node %.0f GB/s, inter-node %.1f GB/s"
            + " per device",
        name,
        nodes,
        devicesPerNode,
        device.name(),
        device.flopsPerSecond() / 1e12,
        device.memoryBytesPerSecond() / 1e12,
        device.memoryBytes() / 1_000_000_000L,
        intraNode.bytesPerSecond() / 1e9,
        interNode.bytesPerSecond() / 1e9);
  }
}
