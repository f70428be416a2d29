package dev.sparkmoe.core.balance;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Replicates hot experts into spare positions and spreads the replicas over slots so that every
 * slot gets about the same load, as the EPLB family of algorithms does. Two greedy steps and a
 * local search, all deterministic (ties go to the lower expert, then the lower slot):
 *
 * <ol>
 *   <li>{@link #replicaCounts}: every expert starts with one replica; each spare position goes to
 *       the expert with the highest load per replica, so an expert's replica count grows with its
 *       load;
 *   <li>{@link #assign}: replicas, each carrying its expert's load ÷ replica count, go largest
 *       first onto the least-loaded slot that has room and does not hold that expert yet.
 * </ol>
 *
 * <p>Stateless and thread-safe.
 */
public final class ReplicaPlanner {
  private ReplicaPlanner() {}

  /**
   * Plans one layer: {@code loads[e]} tokens for expert e, {@code positions} expert replicas in all
   * (at least one per expert) over {@code numSlots} slots, spread as evenly as possible.
   *
   * @throws IllegalArgumentException when there are fewer positions than experts, or more than
   *     experts × slots
   */
  public static LayerReplicas plan(long[] loads, int numSlots, int positions) {
    return assign(
        loads, replicaCounts(loads, positions, numSlots), capacities(numSlots, positions));
  }

  /**
   * Replicas per expert, summing to {@code positions}, at most {@code maxReplicas} each: one each,
   * then one more at a time to the expert with the highest load per replica.
   */
  public static int[] replicaCounts(long[] loads, int positions, int maxReplicas) {
    int experts = loads.length;
    if (positions < experts) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid expert positions: %d (expected: at least one per expert, %d)",
              positions, experts));
    }
    if (positions > (long) experts * maxReplicas) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid expert positions: %d (expected: at most %d experts x %d slots)",
              positions, experts, maxReplicas));
    }
    int[] replicas = new int[experts];
    Arrays.fill(replicas, 1);
    for (int spare = positions - experts; spare > 0; spare--) {
      int best = -1;
      for (int e = 0; e < experts; e++) {
        if (replicas[e] < maxReplicas
            && (best < 0 || perReplica(loads, replicas, e) > perReplica(loads, replicas, best))) {
          best = e;
        }
      }
      replicas[best]++;
    }
    return replicas;
  }

  /**
   * {@code positions} spread over {@code numSlots}: the first {@code positions % numSlots} get one
   * more.
   */
  public static int[] capacities(int numSlots, int positions) {
    if (numSlots < 1) {
      throw new IllegalArgumentException(
          String.format("Invalid slots: %d (expected: at least 1)", numSlots));
    }
    int[] capacity = new int[numSlots];
    for (int slot = 0; slot < numSlots; slot++) {
      capacity[slot] = positions / numSlots + (slot < positions % numSlots ? 1 : 0);
    }
    return capacity;
  }

  /**
   * Puts every expert's replicas on slots (slot indices in {@code [0, capacity.length)}), largest
   * load per replica first, each onto the least-loaded slot with room that does not hold the expert
   * yet. Should the only slots with room all hold the expert already, a replica of another expert
   * moves into one of them to free a place elsewhere; only when no such move exists do two replicas
   * of an expert share a slot (correct, only less balanced).
   */
  public static LayerReplicas assign(long[] loads, int[] replicas, int[] capacity) {
    int total = Arrays.stream(replicas).sum();
    if (total != Arrays.stream(capacity).sum()) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid slot capacities: %s (expected: %d positions in all, one per replica)",
              Arrays.toString(capacity), total));
    }
    int[] order = replicaOrder(loads, replicas);
    double[] slotLoad = new double[capacity.length];
    int[] room = capacity.clone();
    int[][] slots = new int[loads.length][];
    int[] placed = new int[loads.length];
    for (int e = 0; e < loads.length; e++) {
      slots[e] = new int[replicas[e]];
    }
    for (int expert : order) {
      int slot = leastLoaded(slotLoad, room, slots[expert], placed[expert]);
      if (slot < 0) {
        slot = makeRoom(loads, replicas, slots, placed, slotLoad, room, expert);
      }
      slots[expert][placed[expert]++] = slot;
      slotLoad[slot] += (double) loads[expert] / replicas[expert];
      room[slot]--;
    }
    improveBySwaps(loads, replicas, slots, slotLoad);
    for (int[] expertSlots : slots) {
      Arrays.sort(expertSlots);
    }
    return new LayerReplicas(slots, slotLoad);
  }

  /**
   * Local search after the greedy pass: while swapping a replica on the most-loaded slot with one
   * on another slot lowers the larger of the two slots' loads (keeping one replica of an expert per
   * slot), swap. Each swap lowers the most-loaded slot's load or the number of slots at that load,
   * so it ends; the cap on rounds only bounds the time.
   */
  private static void improveBySwaps(
      long[] loads, int[] replicas, int[][] slots, double[] slotLoad) {
    for (int round = 0; round < 64 * slots.length; round++) {
      int top = 0;
      for (int s = 1; s < slotLoad.length; s++) {
        top = slotLoad[s] > slotLoad[top] ? s : top;
      }
      if (!swapFrom(top, loads, replicas, slots, slotLoad)) {
        return;
      }
    }
  }

  private static boolean swapFrom(
      int top, long[] loads, int[] replicas, int[][] slots, double[] slotLoad) {
    for (int x = 0; x < slots.length; x++) {
      int xi = indexOf(slots[x], top);
      if (xi < 0) {
        continue;
      }
      double xLoad = (double) loads[x] / replicas[x];
      for (int y = 0; y < slots.length; y++) {
        if (y == x || contains(slots[y], slots[y].length, top)) {
          continue;
        }
        double yLoad = (double) loads[y] / replicas[y];
        for (int yi = 0; yi < slots[y].length; yi++) {
          int other = slots[y][yi];
          boolean lowers =
              Math.max(slotLoad[top] - xLoad + yLoad, slotLoad[other] - yLoad + xLoad)
                  < slotLoad[top] - 1e-9;
          if (lowers && !contains(slots[x], slots[x].length, other)) {
            slots[x][xi] = other;
            slots[y][yi] = top;
            slotLoad[top] += yLoad - xLoad;
            slotLoad[other] += xLoad - yLoad;
            return true;
          }
        }
      }
    }
    return false;
  }

  private static int indexOf(int[] values, int value) {
    for (int i = 0; i < values.length; i++) {
      if (values[i] == value) {
        return i;
      }
    }
    return -1;
  }

  /** One entry per replica (its expert), by load per replica descending, then expert ascending. */
  private static int[] replicaOrder(long[] loads, int[] replicas) {
    return IntStream.range(0, loads.length)
        .boxed()
        .sorted(
            Comparator.comparingDouble((Integer e) -> -perReplica(loads, replicas, e))
                .thenComparingInt(e -> e))
        .flatMapToInt(e -> IntStream.generate(() -> e).limit(replicas[e]))
        .toArray();
  }

  /** The least-loaded slot with room that does not hold the expert; -1 if there is none. */
  private static int leastLoaded(double[] slotLoad, int[] room, int[] taken, int count) {
    int best = -1;
    for (int slot = 0; slot < slotLoad.length; slot++) {
      if (room[slot] > 0
          && !contains(taken, count, slot)
          && (best < 0 || slotLoad[slot] < slotLoad[best])) {
        best = slot;
      }
    }
    return best;
  }

  /**
   * Frees a slot for {@code expert} when every slot with room holds it: moves a replica of another
   * expert from a slot without {@code expert} into a slot with room, and returns the freed slot;
   * else returns a slot with room (the replica then shares it with its expert's other replica).
   */
  private static int makeRoom(
      long[] loads,
      int[] replicas,
      int[][] slots,
      int[] placed,
      double[] slotLoad,
      int[] room,
      int expert) {
    int open = -1;
    for (int slot = 0; slot < room.length && open < 0; slot++) {
      open = room[slot] > 0 ? slot : -1;
    }
    for (int other = 0; other < slots.length; other++) {
      if (other == expert || contains(slots[other], placed[other], open)) {
        continue;
      }
      for (int i = 0; i < placed[other]; i++) {
        int from = slots[other][i];
        if (!contains(slots[expert], placed[expert], from)) {
          double moved = (double) loads[other] / replicas[other];
          slots[other][i] = open;
          slotLoad[from] -= moved;
          slotLoad[open] += moved;
          room[open]--;
          room[from]++;
          return from;
        }
      }
    }
    return open;
  }

  private static boolean contains(int[] values, int count, int value) {
    for (int i = 0; i < count; i++) {
      if (values[i] == value) {
        return true;
      }
    }
    return false;
  }

  private static double perReplica(long[] loads, int[] replicas, int expert) {
    return (double) loads[expert] / replicas[expert];
  }

  /**
   * One layer's replicas.
   *
   * @param slotsOfExpert for each expert, the slots of its replicas, ascending (indices into the
   *     slot list the plan was made for)
   * @param slotLoads expected tokens per slot, with an expert's tokens split evenly over its
   *     replicas
   */
  @SuppressWarnings("ArrayRecordComponent") // built once, read-only
  public record LayerReplicas(int[][] slotsOfExpert, double[] slotLoads) {
    /** Mean over max expected tokens per slot: 1 is perfect; 1 with no load. */
    public double balancedness() {
      return Balance.of(slotLoads);
    }
  }
}
