package dev.sparkmoe.core.balance;

import dev.sparkmoe.core.placement.PlacementPlan;
import java.util.Arrays;
import java.util.Locale;
import java.util.TreeSet;

/**
 * Turns a placement into a load-balanced one from measured routing load: per MoE layer, the layer's
 * slots and the spare slots (those that host no expert of any layer) receive the layer's experts
 * plus extra replicas of the hot ones, planned by {@link ReplicaPlanner}. Results do not change:
 * every replica computes the whole expert, and each token goes to exactly one replica.
 *
 * <p>Stateless and thread-safe.
 */
public final class HotExpertReplicas {
  private HotExpertReplicas() {}

  /**
   * How many extra replicas per layer: {@code none}, {@code auto} (every slot of the layer holds
   * one replica more than the experts alone need, so that small experts can share a slot and the
   * hot ones spread: {@code n × (ceil(E / n) + 1)} replicas for E experts on n slots), or a number.
   *
   * @param extra extra replicas per layer; -1 for auto
   */
  public record Setting(int extra) implements java.io.Serializable {
    public static final Setting NONE = new Setting(0);
    public static final Setting AUTO = new Setting(-1);

    public Setting {
      if (extra < -1) {
        throw new IllegalArgumentException(
            String.format("Invalid replicas: %d (expected: none, auto or a number >= 0)", extra));
      }
    }

    /** Parses {@code none}, {@code auto} or a non-negative number. */
    public static Setting parse(String value) {
      String v = value.trim().toLowerCase(Locale.ROOT);
      if (v.equals("none")) {
        return NONE;
      }
      if (v.equals("auto")) {
        return AUTO;
      }
      try {
        int extra = Integer.parseInt(v);
        if (extra >= 0) {
          return new Setting(extra);
        }
      } catch (NumberFormatException e) {
        // fall through to the message below
      }
      throw new IllegalArgumentException(
          String.format(
              "Invalid replicas: %s (expected: none, auto or a number of extra replicas per layer"
                  + " >= 0)",
              value));
    }

    public boolean isNone() {
      return extra == 0;
    }

    /** Replica positions for {@code experts} experts on {@code slots} slots. */
    int positions(int experts, int slots) {
      if (extra >= 0) {
        return experts + extra;
      }
      return Math.min(slots * ((experts + slots - 1) / slots + 1), experts * slots);
    }

    public String cliName() {
      return extra < 0 ? "auto" : extra == 0 ? "none" : Integer.toString(extra);
    }
  }

  /**
   * The plan with hot experts replicated, and the planned balancedness per layer before and after.
   *
   * @throws IllegalArgumentException when the setting asks for more replicas than the slots can
   *     hold (one replica of an expert per slot)
   */
  public static Result apply(PlacementPlan base, RoutingStats stats, Setting setting) {
    double[] before = new double[base.numLayers()];
    double[] after = new double[base.numLayers()];
    int[] spare = spareSlots(base);
    PlacementPlan plan = base;
    for (int layer = 0; layer < base.numLayers(); layer++) {
      long[] load = stats.load(layer);
      before[layer] = Balance.of(slotLoads(base, layer, load));
      after[layer] = before[layer];
      if (setting.isNone() || Arrays.stream(load).sum() == 0) {
        continue;
      }
      int[] slots = union(base.layerSlots(layer), spare);
      int positions = setting.positions(load.length, slots.length);
      ReplicaPlanner.LayerReplicas replicas = plan(load, slots, positions, layer);
      plan = plan.withReplicas(layer, toSlots(replicas.slotsOfExpert(), slots));
      after[layer] = replicas.balancedness();
    }
    return new Result(plan, before, after);
  }

  private static ReplicaPlanner.LayerReplicas plan(
      long[] load, int[] slots, int positions, int layer) {
    if (positions > (long) load.length * slots.length) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot replicate the experts of layer %d: %d replicas do not fit %d slots with at"
                  + " most one replica of an expert per slot (expected: at most %d extra replicas;"
                  + " lower spark.moe.replicas or add slots)",
              layer, positions, slots.length, (long) load.length * slots.length - load.length));
    }
    return ReplicaPlanner.plan(load, slots.length, positions);
  }

  /** Expected tokens per slot of {@code layer} under {@code plan}, split evenly over replicas. */
  public static double[] slotLoads(PlacementPlan plan, int layer, long[] load) {
    int[] slots = plan.layerSlots(layer);
    double[] perSlot = new double[slots.length];
    for (int expert = 0; expert < load.length; expert++) {
      int[] replicas = plan.replicaSlots(layer, expert);
      for (int slot : replicas) {
        perSlot[Arrays.binarySearch(slots, slot)] += (double) load[expert] / replicas.length;
      }
    }
    return perSlot;
  }

  private static int[] spareSlots(PlacementPlan plan) {
    TreeSet<Integer> used = new TreeSet<>();
    for (int layer = 0; layer < plan.numLayers(); layer++) {
      Arrays.stream(plan.layerSlots(layer)).forEach(used::add);
    }
    return java.util.stream.IntStream.range(0, plan.numSlots())
        .filter(s -> !used.contains(s))
        .toArray();
  }

  private static int[] union(int[] a, int[] b) {
    return java.util.stream.IntStream.concat(Arrays.stream(a), Arrays.stream(b))
        .distinct()
        .sorted()
        .toArray();
  }

  private static int[][] toSlots(int[][] indices, int[] slots) {
    int[][] out = new int[indices.length][];
    for (int e = 0; e < indices.length; e++) {
      out[e] = Arrays.stream(indices[e]).map(i -> slots[i]).toArray();
    }
    return out;
  }

  /**
   * A replicated plan.
   *
   * @param plan the placement to run
   * @param plannedBefore per layer, balancedness (mean ÷ max tokens per slot) the base placement
   *     would have on the measured load
   * @param plannedAfter per layer, the same for {@code plan}
   */
  @SuppressWarnings("ArrayRecordComponent") // built once, read-only
  public record Result(PlacementPlan plan, double[] plannedBefore, double[] plannedAfter) {}
}
