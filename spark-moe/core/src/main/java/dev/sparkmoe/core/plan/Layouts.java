package dev.sparkmoe.core.plan;

import dev.sparkmoe.core.Checks;
import dev.sparkmoe.core.placement.PlacementPlan;
import dev.sparkmoe.core.placement.PlacementPolicy;
import java.util.Locale;

/**
 * Builds {@link Layout}s, the cost model's view of a {@link PlacementPlan}: every layout is a
 * placement plan seen as devices, token fractions (replicas) and weight fractions (tensor-parallel
 * shards), so the planner prices the same model of placement the pipeline runs.
 */
public final class Layouts {
  private Layouts() {}

  /**
   * The pipeline's placement as the cost model sees it: slot s is device s; each replica of an
   * expert takes 1/R of its tokens and each of a replica's G tensor-parallel shards 1/G of its
   * weights; each layer's token owners are the devices hosting that layer's experts.
   */
  public static Layout of(PlacementPlan plan) {
    return of(
        plan,
        plan.policy().cliName(),
        String.format(
            Locale.ROOT, "%d slots, up to %d per slot", plan.numSlots(), plan.maxExpertsPerSlot()));
  }

  /** {@link #of(PlacementPlan)} for a policy on {@code slots} slots. */
  public static Layout of(PlacementPolicy policy, ModelShape model, int slots) {
    return of(PlacementPlan.of(policy, model.layers(), model.experts(), slots));
  }

  /**
   * The {@code in-task} placement: every owner task computes every expert itself, so nothing is
   * exchanged; its plan's slots are nominal.
   */
  public static Layout inTask(ModelShape model, int slots) {
    return of(
        PlacementPlan.of(PlacementPolicy.IN_TASK, model.layers(), model.experts(), slots),
        PlacementPolicy.IN_TASK.cliName(),
        "every expert in every owner task, no exchange");
  }

  /** Whether {@code layout} is the {@code in-task} placement. */
  public static boolean isInTask(Layout layout) {
    return layout.name().equals(PlacementPolicy.IN_TASK.cliName());
  }

  /**
   * One expert per device, {@code replicas} times (the one-per-gpu plan with data parallelism):
   * copy r of expert (l, e) on device {@code r × L × E + l × E + e}, each copy taking 1/replicas of
   * the expert's tokens. Owners of a layer are all its copies' devices.
   */
  public static Layout replicated(ModelShape model, int replicas) {
    Checks.atLeast("replicas", replicas, 1);
    int perCopy = model.layers() * model.experts();
    PlacementPlan plan =
        PlacementPlan.dataParallel(
            PlacementPolicy.ONE_PER_GPU,
            model.layers(),
            model.experts(),
            perCopy * replicas,
            replicas);
    return of(
        plan,
        "one-per-gpu x" + replicas,
        String.format(
            Locale.ROOT, "%d devices, each expert on %d devices", perCopy * replicas, replicas));
  }

  /**
   * Experts colocated under tensor and pipeline parallelism: the layers split into {@code
   * pipelineStages} consecutive stages of {@code tensorParallel} devices each; every expert of a
   * stage's layers is split over all the stage's devices (each holds 1/G of its weights and sees
   * all its tokens), and the stage's devices own the tokens. As a placement plan: a stage's experts
   * colocated on one slot, that slot's experts in {@code tensorParallel} grouped shards.
   */
  public static Layout tensorPipeline(ModelShape model, int tensorParallel, int pipelineStages) {
    Checks.atLeast("tensor parallel degree", tensorParallel, 1);
    Checks.atLeast("pipeline stages", pipelineStages, 1);
    int layers = model.layers();
    if (layers % pipelineStages != 0) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid pipeline stages: %d (expected: a divisor of the %d layers)",
              pipelineStages, layers));
    }
    int devices = tensorParallel * pipelineStages;
    PlacementPlan plan =
        PlacementPlan.tensorParallelGrouped(
            PlacementPolicy.colocate(layers / pipelineStages * model.experts()),
            layers,
            model.experts(),
            devices,
            tensorParallel);
    return of(
        plan,
        String.format(Locale.ROOT, "tp%d-pp%d", tensorParallel, pipelineStages),
        String.format(
            Locale.ROOT,
            "%d devices, TP=%d, PP=%d, %s experts per device",
            devices,
            tensorParallel,
            pipelineStages,
            trim((double) layers * model.experts() / devices)));
  }

  private static Layout of(PlacementPlan plan, String name, String description) {
    int layers = plan.numLayers();
    int experts = plan.numExperts();
    int[][] owners = new int[layers][];
    Layout.Shard[][][] shards = new Layout.Shard[layers][experts][];
    for (int layer = 0; layer < layers; layer++) {
      owners[layer] = plan.layerSlots(layer);
      for (int expert = 0; expert < experts; expert++) {
        shards[layer][expert] = shards(plan, layer, expert);
      }
    }
    return new Layout(name, description, owners, shards);
  }

  /** Replica r's shards at {@code [r·G, (r+1)·G)} of the plan's slots, as {@link Layout.Shard}s. */
  private static Layout.Shard[] shards(PlacementPlan plan, int layer, int expert) {
    int[] slots = plan.replicaSlots(layer, expert);
    double tokenFraction = 1.0 / plan.numReplicas(layer, expert);
    double weightFraction = 1.0 / plan.tensorParallel();
    Layout.Shard[] out = new Layout.Shard[slots.length];
    for (int i = 0; i < slots.length; i++) {
      out[i] = new Layout.Shard(slots[i], tokenFraction, weightFraction);
    }
    return out;
  }

  private static String trim(double value) {
    return value == Math.rint(value)
        ? Long.toString((long) value)
        : String.format(Locale.ROOT, "%.2f", value);
  }
}
