package dev.sparkmoe.core.placement;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Where every (layer, expert) lives: a slot index in {@code [0, numSlots)}. Immutable and
 * thread-safe; serializable so that Spark tasks can carry it (it is a few kilobytes, never
 * weights).
 *
 * <p>An expert may have replicas on several slots ({@link #withReplicas}, {@link #dataParallel}):
 * every replica holds the whole expert, and each of the expert's tokens goes to exactly one of
 * them, chosen by {@link #replicaFor} from the owner partition and the token's ordinal, never from
 * timing, so a run is reproducible. With expert tensor parallelism ({@link #tensorParallel}) a
 * replica is G shards on G distinct slots, each holding 1/G of the FFN width; every token of the
 * replica goes to all G, and the partial outputs are summed at combine. Without either, every
 * expert lives on exactly one slot.
 */
public final class PlacementPlan implements java.io.Serializable {
  private static final long serialVersionUID = 2L;

  /** How the tokens of a replicated expert are split among its replicas. */
  public enum ReplicaSplit {
    /**
     * Token by token: an owner partition's i-th token for the expert goes to replica {@code
     * (partition + i) mod replicas}, so every replica gets an even share.
     */
    TOKENS,
    /**
     * Owner by owner (expert data parallelism): every token of owner partition p goes to replica
     * {@code p mod replicas}.
     */
    OWNERS
  }

  private final PlacementPolicy policy;
  private final int numSlots;
  private final int[][] slots;
  private final int[][][] replicas;
  private final ReplicaSplit split;
  private final int dataParallel;
  private final int tensorParallel;

  private PlacementPlan(
      PlacementPolicy policy,
      int numSlots,
      int[][][] replicas,
      ReplicaSplit split,
      int dataParallel,
      int tensorParallel) {
    this.policy = policy;
    this.numSlots = numSlots;
    this.replicas = replicas;
    this.split = split;
    this.dataParallel = dataParallel;
    this.tensorParallel = tensorParallel;
    this.slots = new int[replicas.length][];
    for (int layer = 0; layer < replicas.length; layer++) {
      slots[layer] = Arrays.stream(replicas[layer]).mapToInt(r -> r[0]).toArray();
    }
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
    requireEnoughSlots(policy, layers, experts, numSlots);
    int[][][] slots = new int[layers][experts][];
    for (int layer = 0; layer < layers; layer++) {
      for (int expert = 0; expert < experts; expert++) {
        slots[layer][expert] = new int[] {slot(policy, layer, expert, experts, numSlots)};
      }
    }
    return new PlacementPlan(policy, numSlots, slots, ReplicaSplit.TOKENS, 1, 1);
  }

  /**
   * Expert data parallelism: the whole expert set of {@code policy}, placed on {@code numSlots /
   * copies} slots, copied {@code copies} times onto disjoint slots; owner partition p sends all its
   * tokens to copy {@code p mod copies}.
   *
   * @throws IllegalArgumentException when the copies need more slots than there are, naming both
   *     numbers and the fix
   */
  public static PlacementPlan dataParallel(
      PlacementPolicy policy, int layers, int experts, int numSlots, int copies) {
    int[][][] slots =
        spread(policy, layers, experts, numSlots, copies, "data-parallel", SlotSpread.STRIDED);
    return new PlacementPlan(policy, numSlots, slots, ReplicaSplit.OWNERS, copies, 1);
  }

  /**
   * Expert tensor parallelism: {@code policy}'s plan on {@code numSlots / shards} slots, and shard
   * g of every expert on its slot plus g times the slots one copy uses.
   *
   * @throws IllegalArgumentException when the shards need more slots than there are, naming both
   *     numbers and the fix
   */
  public static PlacementPlan tensorParallel(
      PlacementPolicy policy, int layers, int experts, int numSlots, int shards) {
    int[][][] slots =
        spread(policy, layers, experts, numSlots, shards, "expert-tp", SlotSpread.STRIDED);
    return new PlacementPlan(policy, numSlots, slots, ReplicaSplit.TOKENS, 1, shards);
  }

  /**
   * Expert tensor parallelism with every expert's shards on neighbouring slots: {@code policy}'s
   * plan on {@code numSlots / shards} slots, and shard g of an expert on slot b of that plan at
   * slot {@code b · shards + g}, so one shard group stays within a node as tensor × pipeline
   * parallel deployments place it.
   *
   * @throws IllegalArgumentException when the shards need more slots than there are, naming both
   *     numbers and the fix
   */
  public static PlacementPlan tensorParallelGrouped(
      PlacementPolicy policy, int layers, int experts, int numSlots, int shards) {
    int[][][] slots =
        spread(policy, layers, experts, numSlots, shards, "expert-tp", SlotSpread.GROUPED);
    return new PlacementPlan(policy, numSlots, slots, ReplicaSplit.TOKENS, 1, shards);
  }

  /** {@code policy}'s plan on {@code numSlots / copies} slots, copied to other slots. */
  private static int[][][] spread(
      PlacementPolicy policy,
      int layers,
      int experts,
      int numSlots,
      int copies,
      String option,
      SlotSpread spread) {
    if (copies < 1) {
      throw new IllegalArgumentException(
          String.format("Invalid %s: %d (expected: at least 1)", option, copies));
    }
    int needed =
        policy.kind() == PlacementPolicy.Kind.SHARED_LAYERS
            ? 1
            : of(policy, layers, experts, Integer.MAX_VALUE).usedSlots();
    if ((long) needed * copies > numSlots) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot place %s %d with %s on %d slots: one copy of the experts needs %d slots, %d"
                  + " need %d. Add executors or GPUs, set spark.moe.slots (--slots), lower"
                  + " spark.moe.%s (--%s), or choose a placement with more experts per slot",
              option,
              copies,
              policy.cliName(),
              numSlots,
              needed,
              copies,
              (long) needed * copies,
              option,
              option));
    }
    PlacementPlan base = of(policy, layers, experts, numSlots / copies);
    int used = base.usedSlots();
    int[][][] slots = new int[layers][experts][copies];
    for (int layer = 0; layer < layers; layer++) {
      for (int expert = 0; expert < experts; expert++) {
        for (int copy = 0; copy < copies; copy++) {
          slots[layer][expert][copy] = spread.slot(base.slots[layer][expert], copy, copies, used);
        }
      }
    }
    return slots;
  }

  /** One past the highest slot that hosts an expert. */
  private int usedSlots() {
    return Arrays.stream(slots).flatMapToInt(Arrays::stream).max().orElse(0) + 1;
  }

  /**
   * This plan with {@code layer}'s experts on the given replica slots, tokens split token by token
   * ({@link ReplicaSplit#TOKENS}).
   *
   * @param slotsOfExpert for each expert of the layer, the slots of its replicas (at least one)
   * @throws IllegalArgumentException for a slot outside the plan, an expert without a replica or a
   *     data-parallel plan
   */
  public PlacementPlan withReplicas(int layer, int[][] slotsOfExpert) {
    if (split != ReplicaSplit.TOKENS || tensorParallel > 1) {
      throw new IllegalArgumentException(
          "Cannot replicate hot experts in a data-parallel or tensor-parallel placement: use one"
              + " or the other");
    }
    if (slotsOfExpert.length != numExperts()) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid replicas of layer %d: %d experts (expected: %d)",
              layer, slotsOfExpert.length, numExperts()));
    }
    int[][][] copy = replicas.clone();
    copy[layer] = new int[slotsOfExpert.length][];
    for (int expert = 0; expert < slotsOfExpert.length; expert++) {
      copy[layer][expert] = checkSlots(layer, expert, slotsOfExpert[expert]);
    }
    return new PlacementPlan(policy, numSlots, copy, split, dataParallel, tensorParallel);
  }

  private int[] checkSlots(int layer, int expert, int[] expertSlots) {
    if (expertSlots.length == 0) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid replicas of expert %d in layer %d: none (expected: at least one slot)",
              expert, layer));
    }
    for (int slot : expertSlots) {
      if (slot < 0 || slot >= numSlots) {
        throw new IllegalArgumentException(
            String.format(
                "Invalid replica slot of expert %d in layer %d: %d (expected: 0 <= slot < %d)",
                expert, layer, slot, numSlots));
      }
    }
    return expertSlots.clone();
  }

  private static int slot(
      PlacementPolicy policy, int layer, int expert, int experts, int numSlots) {
    int global = layer * experts + expert;
    return switch (policy.kind()) {
      case ONE_PER_GPU -> requireSlots(policy, global, numSlots, experts);
      case SHARED_LAYERS, IN_TASK -> expert % numSlots;
      case COLOCATE -> requireSlots(policy, global / policy.expertsPerSlot(), numSlots, experts);
      case AUTO ->
          throw new IllegalArgumentException(
              "Cannot place experts with auto: resolve it to a policy with the planner first");
    };
  }

  /** Fails, naming the slots the policy needs and the fix, when there are fewer. */
  private static void requireEnoughSlots(
      PlacementPolicy policy, int layers, int experts, int numSlots) {
    if (policy.kind() != PlacementPolicy.Kind.ONE_PER_GPU
        && policy.kind() != PlacementPolicy.Kind.COLOCATE) {
      return;
    }
    int perSlot = policy.kind() == PlacementPolicy.Kind.COLOCATE ? policy.expertsPerSlot() : 1;
    long needed = ((long) layers * experts + perSlot - 1) / perSlot;
    if (needed > numSlots) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot place experts with %s: it needs %d slots (%d layers x %d experts, %d per"
                  + " slot), the run has %d slots. Add executors or GPUs, set spark.moe.slots"
                  + " (--slots), or choose shared-layers or colocate:K with a larger K",
              policy.cliName(), needed, layers, experts, perSlot, numSlots));
    }
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

  /** How a replicated expert's tokens are split among its replicas. */
  public ReplicaSplit split() {
    return split;
  }

  /** Copies of the whole expert set ({@link #dataParallel}); 1 otherwise. */
  public int dataParallel() {
    return dataParallel;
  }

  /** The slot hosting {@code expert} of {@code layer}: its first replica's. */
  public int slotOf(int layer, int expert) {
    return slots[layer][expert];
  }

  /** Shards per expert replica ({@link #tensorParallel}); 1 otherwise. */
  public int tensorParallel() {
    return tensorParallel;
  }

  /**
   * The slots of every replica and shard of {@code expert} in {@code layer}: replica r's shards at
   * {@code [r·G, (r+1)·G)} for G = {@link #tensorParallel()}.
   */
  public int[] replicaSlots(int layer, int expert) {
    return replicas[layer][expert].clone();
  }

  /** Replicas of {@code expert} in {@code layer}, each {@link #tensorParallel()} shards. */
  public int numReplicas(int layer, int expert) {
    return replicas[layer][expert].length / tensorParallel;
  }

  /** Replica and shard positions in all, over all layers and experts. */
  public int totalReplicas() {
    return Arrays.stream(replicas).flatMap(Arrays::stream).mapToInt(r -> r.length).sum();
  }

  /**
   * The replica that computes the {@code ordinal}-th token (counting from 0 in the owner
   * partition's token order) that owner partition {@code partition} routes to {@code expert} of
   * {@code layer}.
   */
  public int replicaFor(int layer, int expert, int partition, int ordinal) {
    int count = numReplicas(layer, expert);
    if (count == 1) {
      return 0;
    }
    long pick = split == ReplicaSplit.OWNERS ? partition : (long) partition + ordinal;
    return (int) Math.floorMod(pick, (long) count);
  }

  /** The slot of shard {@code shard} of replica {@code replica} of an expert. */
  public int shardSlot(int layer, int expert, int replica, int shard) {
    return replicas[layer][expert][replica * tensorParallel + shard];
  }

  /** The shard of {@code expert} that {@code slot} holds, or -1 if it holds none. */
  public int shardOn(int layer, int expert, int slot) {
    int[] candidates = replicas[layer][expert];
    for (int i = 0; i < candidates.length; i++) {
      if (candidates[i] == slot) {
        return i % tensorParallel;
      }
    }
    return -1;
  }

  /** The slot of shard 0 of the replica {@link #replicaFor} picks. */
  public int slotFor(int layer, int expert, int partition, int ordinal) {
    return shardSlot(layer, expert, replicaFor(layer, expert, partition, ordinal), 0);
  }

  /** The distinct slots that host experts (or replicas) of {@code layer}, ascending. */
  public int[] layerSlots(int layer) {
    return Arrays.stream(replicas[layer])
        .flatMapToInt(Arrays::stream)
        .distinct()
        .sorted()
        .toArray();
  }

  /** The experts of {@code layer} with a replica on {@code slot}, ascending. */
  public List<Integer> expertsOn(int layer, int slot) {
    List<Integer> experts = new ArrayList<>();
    for (int expert = 0; expert < replicas[layer].length; expert++) {
      if (Arrays.stream(replicas[layer][expert]).anyMatch(s -> s == slot)) {
        experts.add(expert);
      }
    }
    return experts;
  }

  /** The most experts (replicas included) any slot hosts, over all layers. */
  public int maxExpertsPerSlot() {
    int[] counts = new int[numSlots];
    for (int[][] layer : replicas) {
      for (int[] expert : layer) {
        for (int slot : expert) {
          counts[slot]++;
        }
      }
    }
    return Arrays.stream(counts).max().orElse(0);
  }

  @Override
  public String toString() {
    int extra = totalReplicas() - numLayers() * numExperts();
    String replicated =
        dataParallel > 1
            ? String.format(", data-parallel x%d", dataParallel)
            : tensorParallel > 1
                ? String.format(", expert-tp %d", tensorParallel)
                : extra > 0 ? String.format(", %d hot-expert replicas", extra) : "";
    return String.format(
        "%s over %d slots (%d layers x %d experts, at most %d per slot%s)",
        policy.cliName(), numSlots, numLayers(), numExperts(), maxExpertsPerSlot(), replicated);
  }
}
