package dev.sparkmoe.core.plan;

import dev.sparkmoe.core.Checks;

/**
 * One layer of the Spark pipeline on a CPU cluster, stage by stage: the dispatch shuffle's map
 * stage (one task per owner partition), the expert stage (one task per slot, pinned to executor
 * {@code slot mod executors}; an executor runs its slots one after the other) and the owner stage
 * that combines and routes the next layer (one task per owner partition). A stage lasts its fixed
 * cost, its tasks' costs, and its CPU work spread over the cores it can use; bytes crossing an
 * exchange cost CPU time, half on each side.
 */
final class SparkLayerModel {
  private final ClusterSpec cluster;
  private final SparkCosts spark;
  private final ModelShape model;
  private final Workload workload;
  private final Layout layout;
  private final KernelCalibration calibration;

  SparkLayerModel(
      ClusterSpec cluster,
      ModelShape model,
      Workload workload,
      Layout layout,
      KernelCalibration calibration) {
    this.cluster = cluster;
    this.spark = cluster.spark();
    this.model = model;
    this.workload = workload;
    this.layout = layout;
    this.calibration = calibration;
    Checks.atLeast("owner partitions", workload.ownerPartitions(), 1);
  }

  /**
   * Layer {@code layer} as the pipeline's layer boundaries fall: its dispatch map stage, its expert
   * stage, and the owner stage that combines it and routes the next layer (the first layer's
   * routing belongs to {@link #runOverheadSeconds}).
   */
  LayerCost layer(int layer) {
    LayerLoad load = LayerLoad.of(model, workload, layout, layer, Integer.MAX_VALUE);
    if (Layouts.isInTask(layout)) {
      return inTaskLayer(layer, load);
    }
    int partitions = workload.ownerPartitions();
    double exchangeBytes = sum(load.pairs) * bytesPerPair();
    double halfTrip = spark.exchangeSecondsPerByte() / 2;
    double dispatchWork = exchangeBytes * halfTrip;
    double dispatch = spread(dispatchWork, dispatchWork / partitions, partitions);
    double[] perExecutor = new double[cluster.devices()];
    int[] slots = slotsInUse(load);
    for (int slot : slots) {
      perExecutor[slot % cluster.devices()] += slotWork(load, slot, halfTrip);
    }
    double expert = pinned(perExecutor);
    boolean routesNext = layer + 1 < model.layers();
    double ownerWork = exchangeBytes * halfTrip + (routesNext ? routeWork() : 0);
    double owner = spread(ownerWork, ownerWork / partitions, partitions);
    double overhead =
        3 * spark.stageSeconds() + (2.0 * partitions + slots.length) * spark.taskSeconds();
    return new LayerCost(
        layer, owner, dispatch, expert, 0, 0, 0, overhead, owner + dispatch + expert + overhead);
  }

  /**
   * Layer {@code layer} in-task: every owner task routes its tokens and computes their experts
   * itself, one call per (partition, expert) hit; no exchange, no stage of its own.
   */
  private LayerCost inTaskLayer(int layer, LayerLoad load) {
    int partitions = workload.ownerPartitions();
    double route = routeWork();
    double owner = spread(route, route / partitions, partitions);
    double work = 0;
    for (LayerLoad.Call call : load.calls) {
      if (call.tokens() > 0) {
        work += partitions * expertCallSeconds(call.tokens() / partitions) * call.weightFraction();
      }
    }
    double expert = spread(work, work / partitions, partitions);
    return new LayerCost(layer, owner, 0, expert, 0, 0, 0, 0, owner + expert);
  }

  /**
   * Fixed cost of a run besides its layers: the input stage, and the embedding stage that also
   * routes the first layer (in-task: the one stage that runs every layer).
   */
  double runOverheadSeconds() {
    int partitions = workload.ownerPartitions();
    if (Layouts.isInTask(layout)) {
      return 2 * (spark.stageSeconds() + partitions * spark.taskSeconds());
    }
    double route = routeWork();
    return 2 * (spark.stageSeconds() + partitions * spark.taskSeconds())
        + spread(route, route / partitions, partitions);
  }

  /** Attention and router of one layer over all owner partitions. */
  private double routeWork() {
    return ownerWorkPerPartition() * workload.ownerPartitions();
  }

  private double bytesPerPair() {
    return workload.bytesPerPair(model.hidden());
  }

  /** Expert calls of one slot: one per owner partition per hosted expert, plus its bytes. */
  private double slotWork(LayerLoad load, int slot, double halfTrip) {
    int partitions = workload.ownerPartitions();
    double work = 2 * load.pairs[slot] * bytesPerPair() * halfTrip;
    for (LayerLoad.Call call : load.calls) {
      if (call.device() == slot && call.tokens() > 0) {
        work += partitions * expertCallSeconds(call.tokens() / partitions) * call.weightFraction();
      }
    }
    return work;
  }

  private double expertCallSeconds(double tokens) {
    DeviceSpec device = cluster.device();
    var measured = calibration.expertSeconds(device.name(), tokens, model.hidden(), model.ffn());
    if (measured.isPresent()) {
      return measured.getAsDouble();
    }
    double bytes = model.expertWeightBytes() + 2.0 * tokens * model.hidden() * 4;
    return device.rooflineSeconds(tokens * model.expertFlopsPerToken(), bytes)
        + StreamLayerModel.KERNELS_PER_EXPERT * device.kernelLaunchSeconds();
  }

  /** Attention (measured per sequence when calibrated) and the router for one partition. */
  private double ownerWorkPerPartition() {
    double tokens = (double) workload.tokensPerBatch() / workload.ownerPartitions();
    DeviceSpec device = cluster.device();
    int length = workload.sequenceLength();
    double router = tokens * 2.0 * model.hidden() * model.experts() / device.flopsPerSecond();
    if (!model.hasAttention()) {
      return router;
    }
    var measured = calibration.attentionSeconds(device.name(), length, model.hidden());
    if (measured.isPresent()) {
      return tokens / length * measured.getAsDouble() + router;
    }
    return device.rooflineSeconds(
        tokens * model.ownerFlopsPerToken(length), model.ownerWeightBytes() * tokens / length);
  }

  /** Unpinned tasks: the work over the cores they can use, or the longest task. */
  private double spread(double work, double longestTask, int tasks) {
    int parallel = Math.min(spark.cores(), Math.min(cluster.devices(), tasks));
    return Math.max(work / parallel, longestTask);
  }

  /** Pinned tasks: the busiest executor, or all the work over the cores the busy executors use. */
  private double pinned(double[] perExecutor) {
    double total = 0;
    double busiest = 0;
    int busy = 0;
    for (double work : perExecutor) {
      total += work;
      busiest = Math.max(busiest, work);
      busy += work > 0 ? 1 : 0;
    }
    return busy == 0 ? 0 : Math.max(busiest, total / Math.min(spark.cores(), busy));
  }

  private static int[] slotsInUse(LayerLoad load) {
    return java.util.stream.IntStream.range(0, load.devices())
        .filter(slot -> load.pairs[slot] > 0)
        .toArray();
  }

  private static double sum(double[] values) {
    double sum = 0;
    for (double v : values) {
      sum += v;
    }
    return sum;
  }
}
