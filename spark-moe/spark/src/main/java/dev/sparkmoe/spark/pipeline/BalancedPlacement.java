package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.balance.ExpertShards;
import dev.sparkmoe.core.balance.HotExpertReplicas;
import dev.sparkmoe.core.balance.RoutingSampler;
import dev.sparkmoe.core.balance.RoutingStats;
import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.placement.PlacementPlan;
import dev.sparkmoe.core.placement.PlacementPolicy;
import dev.sparkmoe.spark.infer.RowTokens;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's placement of a run: the policy's plan (copied for data parallelism), the routing
 * load measured on a sample of the input, and hot-expert replicas planned from that load.
 *
 * @param plan the placement to run
 * @param stats tokens per (layer, expert) on the sample
 * @param sampleSeconds time spent sampling on the driver
 * @param plannedBefore per layer, balancedness the policy's plan would have on the sampled load
 * @param plannedAfter per layer, the same for {@code plan}
 * @param base the plan before replicas
 * @param replicas the replica setting in effect ({@code none}, or what the options or {@code auto}
 *     chose), with which {@link #updated} plans again
 */
@SuppressWarnings("ArrayRecordComponent") // built once, read-only
record BalancedPlacement(
    PlacementPlan plan,
    RoutingStats stats,
    double sampleSeconds,
    double[] plannedBefore,
    double[] plannedAfter,
    PlacementPlan base,
    HotExpertReplicas.Setting replicas) {
  private static final Logger LOG = LoggerFactory.getLogger(BalancedPlacement.class);

  /**
   * Under {@code auto}, hot-expert replicas are worth their memory when they lower some layer's
   * largest expected tokens per slot (the slot that paces the layer) by this fraction.
   */
  static final double AUTO_REPLICA_GAIN = 0.10;

  /**
   * Samples {@code rows} (id, tokens) and plans.
   *
   * @param requested the placement asked for; under {@code auto}, replicas are added when the
   *     sampled load makes them lower the busiest slot's expected tokens in some layer by {@value
   *     #AUTO_REPLICA_GAIN} or more (and neither data nor tensor parallelism is set)
   * @param policy the policy to place with ({@code requested}, or what the planner chose)
   */
  static BalancedPlacement plan(
      PlacementPolicy requested,
      PlacementPolicy policy,
      LoadBalanceOptions options,
      String modelPath,
      int numSlots,
      Dataset<Row> rows) {
    long start = System.nanoTime();
    RoutingStats stats;
    ModelConfig config;
    try (MoeModel model = MoeModel.open(Path.of(modelPath))) {
      config = model.config();
      // In-task there is no slot to balance: every task computes every expert.
      stats =
          policy.kind() == PlacementPolicy.Kind.IN_TASK
              ? RoutingStats.empty(config.numLayers(), config.numExperts())
              : sample(model, options.sampleRows(), rows);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    PlacementPlan base = basePlan(policy, options, config, numSlots);
    HotExpertReplicas.Result result = HotExpertReplicas.apply(base, stats, options.replicas());
    HotExpertReplicas.Setting setting = options.replicas();
    if (requested.kind() == PlacementPolicy.Kind.AUTO
        && policy.kind() != PlacementPolicy.Kind.IN_TASK
        && options.replicas().isNone()
        && base.dataParallel() == 1
        && base.tensorParallel() == 1) {
      HotExpertReplicas.Result plain = result;
      result = autoReplicas(base, stats, plain);
      setting = result == plain ? HotExpertReplicas.Setting.NONE : HotExpertReplicas.Setting.AUTO;
    }
    LOG.info(
        "spark-moe: sampled {} rows ({} tokens) in {} ms; placement {}",
        stats.rows(),
        stats.tokens(),
        Math.round(seconds * 1000),
        result.plan());
    return new BalancedPlacement(
        result.plan(),
        stats,
        seconds,
        result.plannedBefore(),
        result.plannedAfter(),
        base,
        setting);
  }

  /**
   * This placement with {@code measured} (what a finished wave's expert tasks counted) added to its
   * statistics, and its hot-expert replicas planned again from the sum when replicas are in use:
   * the next wave follows the load seen so far. Outputs do not change with the replicas.
   */
  BalancedPlacement updated(RoutingStats measured) {
    RoutingStats merged = stats.plus(measured);
    if (replicas.isNone()) {
      return new BalancedPlacement(
          plan, merged, sampleSeconds, plannedBefore, plannedAfter, base, replicas);
    }
    HotExpertReplicas.Result result = HotExpertReplicas.apply(base, merged, replicas);
    return new BalancedPlacement(
        result.plan(),
        merged,
        sampleSeconds,
        result.plannedBefore(),
        result.plannedAfter(),
        base,
        replicas);
  }

  /** Replicas where they pay: some layer's planned balancedness gains enough. */
  private static HotExpertReplicas.Result autoReplicas(
      PlacementPlan base, RoutingStats stats, HotExpertReplicas.Result none) {
    HotExpertReplicas.Result replicated =
        HotExpertReplicas.apply(base, stats, HotExpertReplicas.Setting.AUTO);
    for (int layer = 0; layer < base.numLayers(); layer++) {
      long[] load = stats.load(layer);
      double before = busiest(base, layer, load);
      double after = busiest(replicated.plan(), layer, load);
      if (after <= before * (1 - AUTO_REPLICA_GAIN)) {
        return replicated;
      }
    }
    return none;
  }

  private static double busiest(PlacementPlan plan, int layer, long[] load) {
    return java.util.Arrays.stream(HotExpertReplicas.slotLoads(plan, layer, load)).max().orElse(0);
  }

  private static PlacementPlan basePlan(
      PlacementPolicy policy, LoadBalanceOptions options, ModelConfig config, int numSlots) {
    int layers = config.numLayers();
    int experts = config.numExperts();
    if (options.dataParallel() > 1) {
      return PlacementPlan.dataParallel(policy, layers, experts, numSlots, options.dataParallel());
    }
    int shards = shards(policy, options, config, numSlots);
    return shards > 1
        ? PlacementPlan.tensorParallel(policy, layers, experts, numSlots, shards)
        : PlacementPlan.of(policy, layers, experts, numSlots);
  }

  /** The explicit expert-tp, else what the slot memory needs, else 1. */
  private static int shards(
      PlacementPolicy policy, LoadBalanceOptions options, ModelConfig config, int numSlots) {
    if (options.expertTp() > 0 || options.slotMemoryBytes() == 0) {
      return Math.max(1, options.expertTp());
    }
    int shards =
        ExpertShards.choose(
            policy,
            config.numLayers(),
            config.numExperts(),
            numSlots,
            config.hiddenSize(),
            config.intermediateSize(),
            options.slotMemoryBytes());
    if (shards > 1) {
      LOG.info(
          "spark-moe: experts of {} bytes exceed spark.moe.slot-memory {} per slot: expert-tp {}",
          ExpertShards.expertBytes(config.hiddenSize(), config.intermediateSize()),
          options.slotMemoryBytes(),
          shards);
    }
    return shards;
  }

  private static RoutingStats sample(MoeModel model, int sampleRows, Dataset<Row> rows) {
    ModelConfig config = model.config();
    if (sampleRows == 0) {
      return RoutingStats.empty(config.numLayers(), config.numExperts());
    }
    List<int[]> tokens = new ArrayList<>();
    for (Row row : rows.limit(sampleRows).collectAsList()) {
      try {
        int[] read = RowTokens.read(row, 1, config);
        tokens.add(read == null ? new int[0] : read);
      } catch (IllegalArgumentException e) {
        // an invalid row fails or is skipped in the job itself; the sample leaves it out
      }
    }
    try (CpuExpertBackend backend = new CpuExpertBackend()) {
      return new RoutingSampler(model, model.loadDense(), backend).sample(tokens);
    }
  }
}
