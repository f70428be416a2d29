package dev.sparkmoe.spark.cluster;

import java.io.Serializable;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/**
 * One executor and the GPU it owns, as a slot that hosts experts.
 *
 * @param executorId Spark's executor id: {@code "0"}, {@code "1"}, … on a cluster, {@code "driver"}
 *     in local mode
 * @param host the host the executor registered with, as the scheduler knows it
 * @param gpuAddress the address of the executor's GPU, as Spark's resource discovery reported it;
 *     {@code null} when the executor has no GPU
 */
public record ExecutorSlot(String executorId, String host, String gpuAddress)
    implements Serializable {
  /** The resource name Spark uses for GPUs ({@code spark.executor.resource.gpu.*}). */
  public static final String GPU = "gpu";

  /** The executor id of the driver, which is the one executor in local mode. */
  public static final String DRIVER = "driver";

  /** By executor id, numerically where both ids are numbers ({@code "2"} before {@code "10"}). */
  public static final Comparator<ExecutorSlot> BY_EXECUTOR_ID =
      Comparator.comparing(ExecutorSlot::executorId, ExecutorSlot::compareIds);

  public ExecutorSlot {
    Objects.requireNonNull(executorId, "executorId");
    Objects.requireNonNull(host, "host");
    if (host.contains("_")) {
      throw new IllegalArgumentException(
          "Invalid host: " + host + " (expected: no '_', which ends the host in a task location)");
    }
  }

  /**
   * The slot of the task running on this thread: its executor, and the GPU Spark assigned to the
   * task ({@code null} when the task holds none). Call it inside a task only.
   */
  public static ExecutorSlot ofCurrentTask() {
    TaskContext task = TaskContext.get();
    if (task == null) {
      throw new IllegalStateException("Cannot read the task's slot: not inside a Spark task");
    }
    SparkEnv env = SparkEnv.get();
    return new ExecutorSlot(
        env.executorId(), env.blockManager().blockManagerId().host(), gpuAddress(task));
  }

  /**
   * Spark's string form of an executor location ({@code ExecutorCacheTaskLocation}): {@code
   * executor_<host>_<executorId>}, which RDD preferred locations accept.
   */
  public String taskLocation() {
    return "executor_" + host + "_" + executorId;
  }

  /** Whether the executor owns a GPU. */
  public boolean hasGpu() {
    return gpuAddress != null;
  }

  private static String gpuAddress(TaskContext task) {
    Map<String, ResourceInformation> resources = task.resourcesJMap();
    ResourceInformation gpu = resources.get(GPU);
    return gpu == null || gpu.addresses().length == 0 ? null : gpu.addresses()[0];
  }

  private static int compareIds(String a, String b) {
    boolean aNumeric = isNumber(a);
    boolean bNumeric = isNumber(b);
    if (aNumeric && bNumeric) {
      return a.length() != b.length() ? Integer.compare(a.length(), b.length()) : a.compareTo(b);
    }
    return aNumeric != bNumeric ? (aNumeric ? -1 : 1) : a.compareTo(b);
  }

  private static boolean isNumber(String id) {
    return !id.isEmpty() && id.chars().allMatch(c -> c >= '0' && c <= '9');
  }
}
