package dev.sparkmoe.core.balance;

import dev.sparkmoe.core.placement.PlacementPlan;
import dev.sparkmoe.core.placement.PlacementPolicy;

/**
 * How many tensor-parallel shards experts need to fit a slot's memory for expert weights. The size
 * counted is an expert's three projections as the CPU backend holds them (f32: {@code 3 × hidden ×
 * ffn × 4} bytes), times the experts a slot hosts over all layers (they stay resident), over the
 * shards. Stateless.
 */
public final class ExpertShards {
  private ExpertShards() {}

  /** Bytes of one expert's weights in f32. */
  public static long expertBytes(int hidden, int ffn) {
    return 3L * hidden * ffn * Float.BYTES;
  }

  /** Bytes of expert weights on the fullest slot of {@code plan}. */
  public static long maxSlotBytes(PlacementPlan plan, int hidden, int ffn) {
    return plan.maxExpertsPerSlot() * expertBytes(hidden, ffn) / plan.tensorParallel();
  }

  /**
   * The fewest shards G for which {@link PlacementPlan#tensorParallel} of {@code policy} on {@code
   * numSlots} slots fits {@code slotMemoryBytes} per slot.
   *
   * @throws IllegalArgumentException when no G fits, naming the sizes and the fix
   */
  public static int choose(
      PlacementPolicy policy,
      int layers,
      int experts,
      int numSlots,
      int hidden,
      int ffn,
      long slotMemoryBytes) {
    long smallest = Long.MAX_VALUE;
    for (int shards = 1; shards <= Math.min(numSlots, ffn); shards++) {
      PlacementPlan plan;
      try {
        plan = PlacementPlan.tensorParallel(policy, layers, experts, numSlots, shards);
      } catch (IllegalArgumentException e) {
        break; // more shards need more slots than there are
      }
      long bytes = maxSlotBytes(plan, hidden, ffn);
      if (bytes <= slotMemoryBytes) {
        return shards;
      }
      smallest = Math.min(smallest, bytes);
    }
    throw new IllegalArgumentException(
        String.format(
            "Cannot fit the experts into spark.moe.slot-memory %d bytes with %s on %d slots: the"
                + " fullest slot needs at least %d bytes (experts of %d bytes in f32) with any"
                + " expert-tp. Raise spark.moe.slot-memory, add slots (--slots) or choose a"
                + " placement with fewer experts per slot",
            slotMemoryBytes, policy.cliName(), numSlots, smallest, expertBytes(hidden, ffn)));
  }
}
