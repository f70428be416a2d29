package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.placement.PlacementPlan;
import java.util.Arrays;

/** Builds {@link RunReport.LoadBalance} from the driver's placement and the capacity pass. */
final class LoadBalanceReport {
  private LoadBalanceReport() {}

  /**
   * @param capacity the run's capacity pass, or null when dropless
   */
  static RunReport.LoadBalance of(
      BalancedPlacement placement, LoadBalanceOptions options, CapacityPass capacity) {
    long[][] dropped = capacity == null ? new long[0][] : capacity.dropped();
    return new RunReport.LoadBalance(
        placement.stats().rows(),
        placement.stats().tokens(),
        placement.sampleSeconds(),
        placement.stats().loads(),
        replicas(placement.plan(), options),
        replicasPerExpert(placement.plan()),
        options.dataParallel(),
        placement.plan().tensorParallel(),
        placement.plannedBefore(),
        placement.plannedAfter(),
        capacity == null ? null : capacity.factor(),
        capacity == null ? -1 : capacity.capacity(),
        dropped,
        Arrays.stream(dropped).flatMapToLong(Arrays::stream).sum());
  }

  private static String replicas(PlacementPlan plan, LoadBalanceOptions options) {
    boolean hot =
        plan.dataParallel() == 1
            && plan.totalReplicas() > plan.numLayers() * plan.numExperts() * plan.tensorParallel();
    return options.replicas().isNone() && hot
        ? "auto (chosen by placement auto)"
        : options.replicas().cliName();
  }

  private static int[][] replicasPerExpert(PlacementPlan plan) {
    int[][] out = new int[plan.numLayers()][plan.numExperts()];
    for (int layer = 0; layer < out.length; layer++) {
      for (int expert = 0; expert < out[layer].length; expert++) {
        out[layer][expert] = plan.numReplicas(layer, expert);
      }
    }
    return out;
  }
}
