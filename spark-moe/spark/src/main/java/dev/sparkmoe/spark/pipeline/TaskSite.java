package dev.sparkmoe.spark.pipeline;

import java.io.Serializable;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import scala.Option;

/**
 * Where a pipeline task ran and what its executor held when it ended.
 *
 * @param executorId the executor
 * @param gpuAddress the GPU the task was given, or null
 * @param expertLoads experts the executor had loaded
 * @param expertLoadNanos time the executor had spent loading them, prefetches included
 * @param heap the executor JVM's heap high-water marks of the run so far
 */
record TaskSite(
    String executorId, String gpuAddress, int expertLoads, long expertLoadNanos, HeapMarks heap)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The running owner task's site; owners compute no expert, so it names no GPU. */
  static TaskSite owner(ExecutorRuntime runtime) {
    return new TaskSite(
        SparkEnv.get().executorId(),
        null,
        runtime.expertLoads(),
        runtime.expertLoadNanos(),
        HeapMarks.now());
  }

  /** The running expert task's site, with its GPU. Call on the task's thread. */
  static TaskSite expert(ExecutorRuntime runtime) {
    return new TaskSite(
        SparkEnv.get().executorId(),
        taskGpu(),
        runtime.expertLoads(),
        runtime.expertLoadNanos(),
        HeapMarks.now());
  }

  private static String taskGpu() {
    TaskContext context = TaskContext.get();
    if (context == null) {
      return null;
    }
    Option<ResourceInformation> gpu = context.resources().get("gpu");
    return gpu.isDefined() && gpu.get().addresses().length > 0 ? gpu.get().addresses()[0] : null;
  }

  /**
   * Where {@code later} (the same task in a later wave) ran, with the most expert loads of both.
   */
  TaskSite then(TaskSite later) {
    return new TaskSite(
        later.executorId,
        later.gpuAddress,
        Math.max(expertLoads, later.expertLoads),
        Math.max(expertLoadNanos, later.expertLoadNanos),
        later.heap);
  }
}
