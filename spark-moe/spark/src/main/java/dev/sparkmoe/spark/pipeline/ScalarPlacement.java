package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.Checks;
import dev.sparkmoe.core.config.MoeOptions;
import dev.sparkmoe.core.exchange.ExchangeMode;
import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.placement.PlacementPolicy;
import dev.sparkmoe.core.plan.ModelShape;
import dev.sparkmoe.core.plan.Planner;
import dev.sparkmoe.spark.config.SessionOptions;
import java.io.Serializable;
import java.util.Optional;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * Where the scalar SQL functions run a model's experts, chosen when the query is planned: in-task
 * (every task computes every expert from its executor's resident copy) when the model fits an
 * executor, by the same rule {@code --placement auto} uses ({@link Planner#inTaskFits}); else, or
 * when the call asks for {@code mode=service} or a distributed placement, through the expert
 * service, checked against the cluster's task slots by the same {@link ExchangeChoice} as {@code
 * moe infer}.
 */
public final class ScalarPlacement {
  private ScalarPlacement() {}

  /**
   * Where a call's experts run.
   *
   * @param service the service's spec; null for in-task
   */
  public record Choice(ScalarService.Spec service) implements Serializable {
    private static final long serialVersionUID = 1L;

    public boolean isService() {
      return service != null;
    }

    /** How EXPLAIN shows the choice. */
    public String explain() {
      return service == null
          ? "placement=in-task"
          : String.format(
              "exchange=service, placement=%s, servers=%d",
              service.policy().cliName(), service.servers());
    }
  }

  /**
   * The choice for the call's {@code requested} placement and mode.
   *
   * @param model the model, its backend and compute dtype
   * @param requested the call's placement: {@code auto}, {@code in-task} or a service placement
   * @param mode the call's mode: {@code auto} or {@code service}
   * @param settings the call's options over the session conf, for the service's knobs
   * @param slots the call's {@code slots}, else one server per task slot but one
   * @throws IllegalArgumentException for mode shuffle, a model that fits neither way, or a service
   *     the cluster cannot run, naming the sizes and the fix
   */
  public static Choice choose(
      SparkSession spark,
      InTaskForward.Model model,
      ModelConfig config,
      PlacementPolicy requested,
      ExchangeMode mode,
      Optional<Integer> slots,
      SessionOptions settings) {
    Checks.checkArgument(
        mode != ExchangeMode.SHUFFLE,
        "Invalid mode for a scalar model function: shuffle (expected: auto or service; the shuffle"
            + " belongs to moe_infer)");
    if (requested.kind() == PlacementPolicy.Kind.IN_TASK) {
      Checks.checkArgument(
          mode != ExchangeMode.SERVICE,
          "Invalid mode service with placement in-task (expected: mode auto; in-task computes"
              + " every expert in the owner task, with no exchange)");
      checkFits(spark, model.path(), config);
      return new Choice(null);
    }
    if (mode == ExchangeMode.AUTO
        && requested.kind() == PlacementPolicy.Kind.AUTO
        && fits(spark, config)) {
      return new Choice(null);
    }
    return new Choice(service(spark, model, config, requested, mode, slots, settings));
  }

  private static ScalarService.Spec service(
      SparkSession spark,
      InTaskForward.Model model,
      ModelConfig config,
      PlacementPolicy requested,
      ExchangeMode mode,
      Optional<Integer> slots,
      SessionOptions settings) {
    SparkContext sc = spark.sparkContext();
    int servers = slots.orElse(Math.max(1, ExchangeChoice.taskSlots(sc) - 1));
    PlacementPolicy policy =
        requested.kind() == PlacementPolicy.Kind.AUTO ? PlacementPolicy.SHARED_LAYERS : requested;
    ExchangeChoice choice =
        ExchangeChoice.of(
            sc, ExchangeMode.SERVICE, policy, /* inTask= */ false, servers, /* capacity= */ false);
    String reason =
        mode == ExchangeMode.SERVICE
            ? choice.reason()
            : "the model does not fit in-task; " + choice.reason();
    return new ScalarService.Spec(
        model,
        settings.value(MoeOptions.ACTIVATION_DTYPE),
        policy,
        servers,
        config.numLayers(),
        config.numExperts(),
        MoeInference.service(settings),
        reason);
  }

  private static boolean fits(SparkSession spark, ModelConfig config) {
    return Planner.inTaskFits(
        ModelShape.of("model", config, /* weightBytes= */ 4),
        AutoPlacement.executorMemoryBytes(spark));
  }

  /** Fails for a model that does not fit in-task when the call asked for in-task. */
  private static void checkFits(SparkSession spark, String modelPath, ModelConfig config) {
    if (fits(spark, config)) {
      return;
    }
    long memory = AutoPlacement.executorMemoryBytes(spark);
    ModelShape shape = ModelShape.of("model", config, /* weightBytes= */ 4);
    throw new IllegalArgumentException(
        String.format(
            "Cannot run model %s in-task: its weights take %d MB in f32, more than %.0f%% of an"
                + " executor's %d MB (raise spark.executor.memory, or pass 'placement=auto' or"
                + " 'mode=service' to run its experts on the expert service)",
            modelPath,
            weightBytes(shape) >> 20,
            Planner.IN_TASK_MEMORY_FRACTION * 100,
            memory >> 20));
  }

  private static long weightBytes(ModelShape model) {
    return (long) model.layers()
        * (model.experts() * model.expertWeightBytes() + model.ownerWeightBytes());
  }
}
