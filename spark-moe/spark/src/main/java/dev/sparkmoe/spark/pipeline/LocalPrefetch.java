package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.placement.PlacementPlan;
import dev.sparkmoe.core.placement.PlacementPolicy;
import org.apache.spark.SparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * In local mode the driver's JVM is the executor: as soon as the placement is known, it starts
 * loading the dense weights and layer 0's experts (the shards the placement puts on its slots) on a
 * thread of its own (opening the model and creating the backend included), while Spark plans,
 * schedules and starts the first pipeline job. The tasks then find them resident or loading ({@link
 * ExecutorRuntime#resident} waits for a load in progress). On a cluster it does nothing: the
 * executors' own tasks prefetch.
 */
final class LocalPrefetch {
  private static final Logger LOG = LoggerFactory.getLogger(LocalPrefetch.class);

  private LocalPrefetch() {}

  /** Starts the loads and returns at once; a failed load is retried by the task that needs it. */
  static void start(SparkContext sc, PipelineManifest manifest) {
    if (!sc.isLocal()) {
      return;
    }
    Thread thread = new Thread(() -> prefetch(manifest), "spark-moe-local-prefetch");
    thread.setDaemon(true);
    thread.start();
  }

  private static void prefetch(PipelineManifest manifest) {
    try {
      startLoads(manifest);
    } catch (RuntimeException e) {
      LOG.debug("spark-moe: local prefetch failed; the tasks load what they need", e);
    }
  }

  private static void startLoads(PipelineManifest manifest) {
    ExecutorState state = ExecutorState.current();
    ExecutorRuntime runtime =
        state.acquire(manifest.modelPath(), manifest.backend(), manifest.computeDtype());
    try {
      runtime.prefetchDense();
      PlacementPlan plan = manifest.placement();
      if (plan.policy().kind() == PlacementPolicy.Kind.IN_TASK) {
        runtime.prefetchLayer(0);
      } else {
        for (int slot = 0; slot < plan.numSlots(); slot++) {
          for (int expert : plan.expertsOn(0, slot)) {
            runtime.prefetch(0, expert, plan.shardOn(0, expert, slot), plan.tensorParallel());
          }
        }
      }
      LOG.info("spark-moe: loading layer 0's experts while the first pipeline job starts");
    } finally {
      state.release(runtime);
    }
  }
}
