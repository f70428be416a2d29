package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.placement.PlacementPolicy;
import dev.sparkmoe.core.plan.ModelShape;
import dev.sparkmoe.core.plan.Planner;
import org.apache.spark.sql.SparkSession;

/**
 * Where the scalar SQL functions run a model's experts, chosen when the query is planned: in-task
 * (every task computes every expert from its executor's resident copy) when the model fits an
 * executor, by the same rule {@code --placement auto} uses ({@link Planner#inTaskFits}). A model
 * that does not fit will go to the expert service ({@code --mode service}); until it lands, such a
 * query fails here, naming the sizes.
 */
public final class ScalarPlacement {
  private ScalarPlacement() {}

  /**
   * The placement for {@code requested} ({@code auto} or {@code in-task}).
   *
   * @throws IllegalArgumentException for another policy, or a model that does not fit an executor
   */
  public static PlacementPolicy choose(
      SparkSession spark, String modelPath, ModelConfig config, PlacementPolicy requested) {
    if (requested.kind() != PlacementPolicy.Kind.AUTO
        && requested.kind() != PlacementPolicy.Kind.IN_TASK) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid placement for a scalar model function: %s (expected: in-task or auto; the"
                  + " shuffle placements belong to moe_infer, and the expert service is coming)",
              requested.cliName()));
    }
    long memory = AutoPlacement.executorMemoryBytes(spark);
    ModelShape shape = ModelShape.of("model", config, /* weightBytes= */ 4);
    if (!Planner.inTaskFits(shape, memory)) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot run model %s in-task: its weights take %d MB in f32, more than %.0f%% of an"
                  + " executor's %d MB (raise spark.executor.memory, or wait for the expert"
                  + " service, --mode service, which scalar functions will use for such models)",
              modelPath,
              weightBytes(shape) >> 20,
              Planner.IN_TASK_MEMORY_FRACTION * 100,
              memory >> 20));
    }
    return PlacementPolicy.IN_TASK;
  }

  private static long weightBytes(ModelShape model) {
    return (long) model.layers()
        * (model.experts() * model.expertWeightBytes() + model.ownerWeightBytes());
  }
}
