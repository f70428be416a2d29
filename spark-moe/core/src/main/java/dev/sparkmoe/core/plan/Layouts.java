package dev.sparkmoe.core.plan;

import dev.sparkmoe.core.placement.PlacementPlan;
import dev.sparkmoe.core.placement.PlacementPolicy;
import java.util.Locale;

/** Builds {@link Layout}s: from the pipeline's placements, with replicas, or tensor-parallel. */
public final class Layouts {
  private Layouts() {}

  /**
   * The pipeline's placement as the cost model sees it: slot s is device s, each expert one shard,
   * and each layer's token owners are the devices hosting that layer's experts.
   */
  public static Layout of(PlacementPlan plan) {
    int layers = plan.numLayers();
    int experts = plan.numExperts();
    int[][] owners = new int[layers][];
    Layout.Shard[][][] shards = new Layout.Shard[layers][experts][];
    for (int layer = 0; layer < layers; layer++) {
      owners[layer] = plan.layerSlots(layer);
      for (int expert = 0; expert < experts; expert++) {
        shards[layer][expert] =
            new Layout.Shard[] {new Layout.Shard(plan.slotOf(layer, expert), 1, 1)};
      }
    }
    return new Layout(
        plan.policy().cliName(),
        String.format(
            Locale.ROOT, "%d slots, up to %d per slot", plan.numSlots(), plan.maxExpertsPerSlot()),
        owners,
        shards);
  }

  /** {@link #of(PlacementPlan)} for a policy on {@code slots} slots. */
  public static Layout of(PlacementPolicy policy, ModelShape model, int slots) {
    return of(PlacementPlan.of(policy, model.layers(), model.experts(), slots));
  }

  /**
   * One expert per device, {@code replicas} times: copy r of expert (l, e) on device {@code r × L ×
   * E + l × E + e}, each copy taking 1/replicas of the expert's tokens. Owners of a layer are all
   * its copies' devices.
   */
  public static Layout replicated(ModelShape model, int replicas) {
    Checks.atLeast("replicas", replicas, 1);
    int layers = model.layers();
    int experts = model.experts();
    int perCopy = layers * experts;
    int[][] owners = new int[layers][experts * replicas];
    Layout.Shard[][][] shards = new Layout.Shard[layers][experts][replicas];
    for (int layer = 0; layer < layers; layer++) {
      for (int expert = 0; expert < experts; expert++) {
        for (int r = 0; r < replicas; r++) {
          int device = r * perCopy + layer * experts + expert;
          shards[layer][expert][r] = new Layout.Shard(device, 1.0 / replicas, 1);
          owners[layer][r * experts + expert] = device;
        }
      }
    }
    return new Layout(
        "one-per-gpu x" + replicas,
        String.format(
            Locale.ROOT, "%d devices, each expert on %d devices", perCopy * replicas, replicas),
        owners,
        shards);
  }

  /**
   * Experts colocated under tensor and pipeline parallelism: the layers split into {@code
   * pipelineStages} consecutive stages of {@code tensorParallel} devices each; every expert of a
   * stage's layers is split over all the stage's devices (each holds 1/G of its weights and sees
   * all its tokens), and the stage's devices own the tokens.
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
    int[][] owners = new int[layers][tensorParallel];
    Layout.Shard[][][] shards = new Layout.Shard[layers][model.experts()][tensorParallel];
    for (int layer = 0; layer < layers; layer++) {
      int first = layer / (layers / pipelineStages) * tensorParallel;
      for (int i = 0; i < tensorParallel; i++) {
        owners[layer][i] = first + i;
        for (int expert = 0; expert < model.experts(); expert++) {
          shards[layer][expert][i] = new Layout.Shard(first + i, 1, 1.0 / tensorParallel);
        }
      }
    }
    int devices = tensorParallel * pipelineStages;
    return new Layout(
        String.format(Locale.ROOT, "tp%d-pp%d", tensorParallel, pipelineStages),
        String.format(
            Locale.ROOT,
            "%d devices, TP=%d, PP=%d, %s experts per device",
            devices,
            tensorParallel,
            pipelineStages,
            trim((double) layers * model.experts() / devices)),
        owners,
        shards);
  }

  private static String trim(double value) {
    return value == Math.rint(value)
        ? Long.toString((long) value)
        : String.format(Locale.ROOT, "%.2f", value);
  }
}
