package dev.sparkmoe.core.plan;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * Where every (layer, expert) of a model lives, in the cost model's terms: each expert is one or
 * more {@link Shard}s on devices (slots), and each layer has token-owner devices that hold the
 * residual stream, route, dispatch and combine. Covers the pipeline's placements (one shard per
 * expert), replicas (shards that split the tokens) and tensor parallelism (shards that split the
 * weights and each see all the expert's tokens). Immutable; build with {@link Layouts}.
 */
public final class Layout {
  /**
   * One device's part of an expert.
   *
   * @param device the device (slot) index
   * @param tokenFraction the part of the expert's tokens this shard computes (1/R for R replicas)
   * @param weightFraction the part of the expert's weights (and FLOPs per token) it holds (1/G for
   *     tensor parallelism over G devices)
   */
  public record Shard(int device, double tokenFraction, double weightFraction) {}

  private final String name;
  private final String description;
  private final int[][] owners;
  private final Shard[][][] shards;
  private final int numDevices;

  Layout(String name, String description, int[][] owners, Shard[][][] shards) {
    this.name = name;
    this.description = description;
    this.owners = owners;
    this.shards = shards;
    int max = -1;
    for (int layer = 0; layer < shards.length; layer++) {
      for (int device : layerDevices(layer)) {
        max = Math.max(max, device);
      }
    }
    this.numDevices = max + 1;
  }

  /** The placement's name ({@code one-per-gpu}, {@code colocate:4}, {@code tp8-pp2}). */
  public String name() {
    return name;
  }

  /** How it maps experts, in words. */
  public String description() {
    return description;
  }

  /** Devices (slots) in use: one past the highest index. */
  public int numDevices() {
    return numDevices;
  }

  public int numLayers() {
    return shards.length;
  }

  public int numExperts() {
    return shards.length == 0 ? 0 : shards[0].length;
  }

  /** The token-owner devices of {@code layer}. */
  public int[] owners(int layer) {
    return owners[layer].clone();
  }

  /** The shards of {@code expert} in {@code layer}. */
  public List<Shard> shards(int layer, int expert) {
    return List.of(shards[layer][expert]);
  }

  /** Distinct devices that own tokens or host experts in {@code layer}, ascending. */
  public int[] layerDevices(int layer) {
    TreeSet<Integer> devices = new TreeSet<>();
    Arrays.stream(owners[layer]).forEach(devices::add);
    for (Shard[] expert : shards[layer]) {
      for (Shard shard : expert) {
        devices.add(shard.device());
      }
    }
    return devices.stream().mapToInt(Integer::intValue).toArray();
  }

  /** Experts' worth of weights on the fullest device, over all layers (TP shards count 1/G). */
  public double maxExpertsPerDevice() {
    double[] weights = new double[numDevices];
    for (Shard[][] layer : shards) {
      for (Shard[] expert : layer) {
        for (Shard shard : expert) {
          weights[shard.device()] += shard.weightFraction();
        }
      }
    }
    return Arrays.stream(weights).max().orElse(0);
  }

  /**
   * Consecutive layers that share devices, as pipeline stages: a new stage starts where a layer
   * shares no device with the one before. Returns, per stage, its first layer.
   */
  public int[] stageStarts() {
    List<Integer> starts = new ArrayList<>(List.of(0));
    for (int layer = 1; layer < shards.length; layer++) {
      if (disjoint(layerDevices(layer - 1), layerDevices(layer))) {
        starts.add(layer);
      }
    }
    return starts.stream().mapToInt(Integer::intValue).toArray();
  }

  /**
   * Whether batches can pipeline through the stages: every stage has devices of its own, so stage s
   * can work on batch b + 1 while stage s + 1 works on batch b.
   */
  public boolean pipelines() {
    int[] starts = stageStarts();
    if (starts.length < 2) {
      return false;
    }
    TreeSet<Integer> seen = new TreeSet<>();
    for (int s = 0; s < starts.length; s++) {
      int end = s + 1 < starts.length ? starts[s + 1] : shards.length;
      TreeSet<Integer> stage = new TreeSet<>();
      for (int layer = starts[s]; layer < end; layer++) {
        Arrays.stream(layerDevices(layer)).forEach(stage::add);
      }
      for (int device : stage) {
        if (!seen.add(device)) {
          return false;
        }
      }
    }
    return true;
  }

  private static boolean disjoint(int[] a, int[] b) {
    TreeSet<Integer> set = new TreeSet<>();
    Arrays.stream(a).forEach(set::add);
    return Arrays.stream(b).noneMatch(set::contains);
  }

  @Override
  public String toString() {
    return name + " (" + description + ")";
  }
}
