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
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves {@code --placement auto} on the driver: the planner prices the pipeline's policies on
 * the slots at hand and the best one runs; {@link BalancedPlacement} then adds hot-expert replicas
 * when the sampled load is uneven, and tensor parallelism when experts do not fit {@code
 * spark.moe.slot-memory}. The cluster is {@code spark.moe.cluster} (a {@link ClusterPresets} name)
 * when set; otherwise GPU executors are priced as H100s and CPU executors as the measured local CPU
 * cluster.
 */
final class AutoPlacement {
  private static final Logger LOG = LoggerFactory.getLogger(AutoPlacement.class);

  private AutoPlacement() {}

  static PlacementPolicy choose(
      SparkSession spark,
      ModelConfig config,
      List<ExecutorSlot> executors,
      int slots,
      ActivationDtype dtype) {
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
    PlacementPolicy chosen =
        new Planner(CostModel.uncalibrated()).choose(cluster, model, workload, slots);
    LOG.info(
        "spark-moe: placement auto chose {} for {} slots on {}",
        chosen.cliName(),
        slots,
        cluster.name());
    return chosen;
  }
}
