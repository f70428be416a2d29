package dev.sparkmoe.core.placement;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Where every (layer, expert) lives: a slot index in {@code [0, numSlots)}. Immutable and
 * thread-safe; serializable so that Spark tasks can carry it (it is a few kilobytes, never
 * weights).
 *
 * <p>Each expert lives on exactly one slot here; replicas and tensor-parallel shards extend this
 * mapping to several slots per expert.
 */
public final class PlacementPlan implements java.io.Serializable {
  private static final long serialVersionUID = 1L;

  private final PlacementPolicy policy;
  private final int numSlots;
  private final int[][] slots;

  private PlacementPlan(PlacementPolicy policy, int numSlots, int[][] slots) {
    this.policy = policy;
    this.numSlots = numSlots;
    this.slots = slots;
  }

  /**
   * Places {@code layers × experts} experts on {@code numSlots} slots.
   *
   * @throws IllegalArgumentException when the policy needs more slots than there are, naming both
   *     numbers and the fix
   */
  public static PlacementPlan of(PlacementPolicy policy, int layers, int experts, int numSlots) {
    if (numSlots < 1) {
      throw new IllegalArgumentException(
          String.format("Invalid slots: %d (expected: at least 1)", numSlots));
    }
    int[][] slots = new int[layers][experts];
    for (int layer = 0; layer < layers; layer++) {
      for (int expert = 0; expert < experts; expert++) {
        slots[layer][expert] = slot(policy, layer, expert, experts, numSlots);
      }
    }
    return new PlacementPlan(policy, numSlots, slots);
  }

  private static int slot(
      PlacementPolicy policy, int layer, int expert, int experts, int numSlots) {
    int global = layer * experts + expert;
    return switch (policy.kind()) {
      case ONE_PER_GPU -> requireSlots(policy, global, numSlots, experts);
      case SHARED_LAYERS -> expert % numSlots;
      case COLOCATE -> requireSlots(policy, global / policy.expertsPerSlot(), numSlots, experts);
    };
  }

  private static int requireSlots(PlacementPolicy policy, int slot, int numSlots, int experts) {
    if (slot >= numSlots) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot place experts with %s: it needs more than %d slots (%d experts per layer)."
                  + " Add executors or GPUs, set spark.moe.slots (--slots), or choose shared-layers"
                  + " or colocate:K with a larger K",
              policy.cliName(), numSlots, experts));
    }
    return slot;
  }

  public PlacementPolicy policy() {
    return policy;
  }

  public int numSlots() {
    return numSlots;
  }

  public int numLayers() {
    return slots.length;
  }

  public int numExperts() {
    return slots.length == 0 ? 0 : slots[0].length;
  }

  /** The slot hosting {@code expert} of {@code layer}. */
  public int slotOf(int layer, int expert) {
    return slots[layer][expert];
  }

  /** The distinct slots that host experts of {@code layer}, ascending. */
  public int[] layerSlots(int layer) {
    return Arrays.stream(slots[layer]).distinct().sorted().toArray();
  }

  /** The experts of {@code layer} hosted on {@code slot}, ascending. */
  public List<Integer> expertsOn(int layer, int slot) {
    List<Integer> experts = new ArrayList<>();
    for (int expert = 0; expert < slots[layer].length; expert++) {
      if (slots[layer][expert] == slot) {
        experts.add(expert);
      }
    }
    return experts;
  }

  /** The most experts any slot hosts, over all layers. */
  public int maxExpertsPerSlot() {
    int[] counts = new int[numSlots];
    for (int[] layer : slots) {
      for (int slot : layer) {
        counts[slot]++;
      }
    }
    return Arrays.stream(counts).max().orElse(0);
  }

  @Override
  public String toString() {
    return String.format(
        "%s over %d slots (%d layers x %d experts, at most %d per slot)",
        policy.cliName(), numSlots, numLayers(), numExperts(), maxExpertsPerSlot());
  }
}
