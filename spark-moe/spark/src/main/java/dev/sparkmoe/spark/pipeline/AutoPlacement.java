package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.batch.ActivationDtype;
import dev.sparkmoe.core.config.MoeOptions;
import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.placement.PlacementPolicy;
import dev.sparkmoe.core.plan.ClusterPresets;
import dev.sparkmoe.core.plan.ClusterSpec;
import dev.sparkmoe.core.plan.CostModel;
import dev.sparkmoe.core.plan.ModelShape;
import dev.sparkmoe.core.plan.Planner;
import dev.sparkmoe.core.plan.Workload;
import dev.sparkmoe.spark.cluster.ExecutorSlot;
import dev.sparkmoe.spark.config.SessionOptions;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves {@code --placement auto} on the driver: the planner prices the pipeline's policies on
 * the slots at hand and the best one runs; {@link BalancedPlacement} then adds hot-expert replicas
 * when the sampled load is uneven, and tensor parallelism when experts do not fit {@code
 * spark.moe.slot-memory}. The cluster is {@code spark.moe.cluster} (a {@link ClusterPresets} name)
 * when set; otherwise GPU executors are priced as H100s and CPU executors as the measured local CPU
 * cluster. With a capacity factor set, in-task is no candidate: it computes every routed token and
 * refuses one.
 */
final class AutoPlacement {
  private static final Logger LOG = LoggerFactory.getLogger(AutoPlacement.class);

  private AutoPlacement() {}

  /**
   * The planner's pick and why, in words for the log and the run report.
   *
   * @param reason why it won, and why in-task was left out when it was
   */
  record Choice(PlacementPolicy policy, String reason) {}

  /**
   * @param capacityFactor the run's expert capacity factor; empty for dropless
   */
  static Choice choose(
      SparkSession spark,
      ModelConfig config,
      List<ExecutorSlot> executors,
      int slots,
      ActivationDtype dtype,
      OptionalDouble capacityFactor) {
    long gpus = executors.stream().filter(e -> e.gpuAddress() != null).count();
    ClusterSpec cluster =
        SessionOptions.of(spark)
            .find(MoeOptions.CLUSTER)
            .orElseGet(
                () ->
                    gpus > 0
                        ? ClusterPresets.h100(1, (int) gpus)
                        : ClusterPresets.cpuLocal(executors.size(), ClusterPresets.LOCAL_SPARK));
    boolean cpu = cluster.execution() == ClusterSpec.Execution.SPARK_TASKS;
    ModelShape model = ModelShape.of("model", config, cpu ? 4 : 2);
    Workload workload =
        cpu
            ? Workload.sparkRun(16_384, 128, dtype.sizeBytes(), Math.max(1, executors.size()))
            : Workload.gpuBatch(1024, 128);
    long memory = executorMemoryBytes(spark);
    // Memory 0 tells the planner that in-task cannot hold the experts: it is left out.
    PlacementPolicy chosen =
        new Planner(CostModel.uncalibrated())
            .choose(cluster, model, workload, slots, capacityFactor.isPresent() ? 0 : memory);
    String reason = reason(chosen, cpu, model, memory, capacityFactor);
    LOG.info(
        "spark-moe: placement auto chose {} for {} slots on {} ({})",
        chosen.cliName(),
        slots,
        cluster.name(),
        reason);
    return new Choice(chosen, reason);
  }

  /**
   * {@code --placement auto} for {@code --kind generate}: in-task when every expert fits an
   * executor, else a failure naming the ways generation runs.
   */
  static PlacementPolicy chooseForGenerate(SparkSession spark, ModelConfig config) {
    long memory = executorMemoryBytes(spark);
    if (!Planner.inTaskFits(ModelShape.of("model", config, 4), memory)) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot run kind generate with placement auto: the experts need more than %.0f%% of"
                  + " the executor's %d MB, and generate runs in-task (--placement in-task) or"
                  + " through the expert service (--mode service)",
              Planner.IN_TASK_MEMORY_FRACTION * 100, memory >> 20));
    }
    LOG.info("spark-moe: placement auto chose in-task for generate (every expert fits a task)");
    return PlacementPolicy.IN_TASK;
  }

  /** One executor's heap: {@code spark.executor.memory}, or in local mode the driver's own. */
  static long executorMemoryBytes(SparkSession spark) {
    return spark.sparkContext().isLocal()
        ? Runtime.getRuntime().maxMemory()
        : spark.sparkContext().getConf().getSizeAsBytes("spark.executor.memory", "1g");
  }

  private static String reason(
      PlacementPolicy chosen,
      boolean cpu,
      ModelShape model,
      long memoryBytes,
      OptionalDouble capacityFactor) {
    if (chosen.kind() == PlacementPolicy.Kind.IN_TASK) {
      return "fastest by the cost model, and every expert fits an executor's memory";
    }
    if (!cpu) {
      return "fastest by the cost model among the expert-parallel placements";
    }
    if (capacityFactor.isPresent()) {
      return String.format(
          Locale.ROOT,
          "fastest by the cost model; in-task left out: capacity-factor %s is set and in-task"
              + " computes every routed token",
          capacityFactor.getAsDouble());
    }
    return Planner.inTaskFits(model, memoryBytes)
        ? "fastest by the cost model, in-task included"
        : String.format(
            "fastest by the cost model; in-task left out: the experts need more than %.0f%% of"
                + " the executor's %d MB",
            Planner.IN_TASK_MEMORY_FRACTION * 100, memoryBytes >> 20);
  }
}
