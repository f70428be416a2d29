package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.backend.ResidentExpert;
import dev.sparkmoe.core.batch.TokenBatchCodec;
import dev.sparkmoe.core.exchange.ExpertStats;
import dev.sparkmoe.core.pipeline.ExpertWorker;
import dev.sparkmoe.core.placement.PlacementPlan;
import dev.sparkmoe.core.service.ExpertServer;
import dev.sparkmoe.core.service.ServerStats;
import java.util.Collections;
import java.util.Iterator;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.util.CollectionAccumulator;

/**
 * One task of the service's barrier stage: the expert server of one slot. Makes the slot's experts
 * of every layer resident (the executor's cache, as the expert tasks do), starts an {@link
 * ExpertServer} on the executor's host, reports its address to the driver's registry and serves
 * until the driver says STOP; then reports the server's statistics. A killed task (the stage
 * relaunched after another server was lost) closes its server and ends.
 */
final class ServerTask {
  private ServerTask() {}

  static Iterator<Object> run(
      PipelineManifest manifest,
      RegistryEndpoint registry,
      CollectionAccumulator<ServerStats> serverStats,
      CollectionAccumulator<TaskStat> taskStats) {
    BarrierTaskContext task = BarrierTaskContext.get();
    int slot = task.partitionId();
    int attempt = task.stageAttemptNumber();
    HeapWatermark.join(manifest.runId());
    ExecutorRuntime runtime = manifest.runtime();
    PlacementPlan plan = manifest.placement();
    prefetchAll(runtime, plan, slot);
    ExpertWorker worker =
        new ExpertWorker(
            runtime.backend(),
            (layer, expert) -> {
              PipelineHooks.installed().expertServer(layer, slot, attempt);
              return resident(runtime, plan, slot, layer, expert);
            });
    String host = SparkEnv.get().blockManager().blockManagerId().host();
    try (ExpertServer server =
        ExpertServer.start(
            manifest.service().options().server(host),
            slot,
            worker,
            new TokenBatchCodec(ExecutorRuntime.allocator()),
            manifest.activationDtype(),
            runtime.model().config().numExperts())) {
      boolean stopped =
          registry.reportAndAwaitStop(slot, attempt, server.address(), () -> !task.isInterrupted());
      task.killTaskIfInterrupted();
      if (!stopped) {
        throw new IllegalStateException(
            String.format(
                "Cannot serve slot %d: the driver's registry at %s:%d went away before STOP",
                slot, registry.host(), registry.port()));
      }
      ServerStats stats = server.stats();
      serverStats.add(stats);
      TaskSite site = TaskSite.expert(runtime);
      String backend = runtime.backend().description();
      int experts = runtime.model().config().numExperts();
      for (ServerStats.Layer layer : stats.layers()) {
        // Per-expert counts stay inside the server; the slot's totals and times feed the report.
        ExpertStats slotStats =
            new ExpertStats(
                layer.tokens(), 0, 0, layer.busyNanos(), layer.waitNanos(), 0, new long[experts]);
        taskStats.add(new TaskStat.Expert(layer.layer(), slot, site, backend, slotStats));
      }
    }
    return Collections.emptyIterator();
  }

  private static void prefetchAll(ExecutorRuntime runtime, PlacementPlan plan, int slot) {
    for (int layer = 0; layer < plan.numLayers(); layer++) {
      for (int expert : plan.expertsOn(layer, slot)) {
        runtime.prefetch(layer, expert, plan.shardOn(layer, expert, slot), plan.tensorParallel());
      }
    }
  }

  private static ResidentExpert resident(
      ExecutorRuntime runtime, PlacementPlan plan, int slot, int layer, int expert) {
    int shard = plan.shardOn(layer, expert, slot);
    if (shard < 0) {
      throw new IllegalStateException(
          String.format(
              "Cannot compute expert %d of layer %d on slot %d: the placement puts it on slots %s",
              expert, layer, slot, java.util.Arrays.toString(plan.replicaSlots(layer, expert))));
    }
    return runtime.resident(layer, expert, shard, plan.tensorParallel());
  }
}
