package dev.sparkmoe.core.plan;

import java.util.ArrayList;
import java.util.List;

/**
 * What one layer asks of each device under a layout: token-expert pairs, FLOPs, weight bytes,
 * expert calls, tokens owned, and the bytes that cross each link class at dispatch (the combine
 * moves the same bytes back). Owners split the layer's tokens evenly; every owner sends each expert
 * shard its share of the shard's pairs.
 */
final class LayerLoad {
  /**
   * One backend call: an expert shard on a device computing {@code tokens} pairs.
   *
   * @param weightFraction the shard's part of the expert (1/G under tensor parallelism)
   */
  record Call(int device, double tokens, double weightFraction) {}

  final int layer;
  final double[] pairs;
  final double[] flops;
  final double[] weightBytes;
  final double[] ownedTokens;
  final double[][] expertInBytes;
  final double[][] ownerOutBytes;
  final List<Call> calls = new ArrayList<>();

  private LayerLoad(int layer, int devices) {
    this.layer = layer;
    pairs = new double[devices];
    flops = new double[devices];
    weightBytes = new double[devices];
    ownedTokens = new double[devices];
    expertInBytes = new double[devices][LinkClass.values().length];
    ownerOutBytes = new double[devices][LinkClass.values().length];
  }

  /**
   * The load of {@code layer}.
   *
   * @param devicesPerNode how devices group into nodes (link classes)
   */
  static LayerLoad of(
      ModelShape model, Workload workload, Layout layout, int layer, int devicesPerNode) {
    LayerLoad load = new LayerLoad(layer, layout.numDevices());
    int[] owners = layout.owners(layer);
    for (int owner : owners) {
      load.ownedTokens[owner] += (double) workload.tokensPerBatch() / owners.length;
    }
    double totalPairs = (double) workload.tokensPerBatch() * model.topK();
    double bytesPerPair = workload.bytesPerPair(model.hidden());
    for (int expert = 0; expert < model.experts(); expert++) {
      double expertPairs = totalPairs * workload.loadOf(layer, expert, model.experts());
      for (Layout.Shard shard : layout.shards(layer, expert)) {
        double shardPairs = expertPairs * shard.tokenFraction();
        int device = shard.device();
        load.pairs[device] += shardPairs;
        load.flops[device] += shardPairs * model.expertFlopsPerToken() * shard.weightFraction();
        load.weightBytes[device] += model.expertWeightBytes() * shard.weightFraction();
        load.calls.add(new Call(device, shardPairs, shard.weightFraction()));
        for (int owner : owners) {
          LinkClass link = LinkClass.between(owner, device, devicesPerNode);
          double bytes = shardPairs / owners.length * bytesPerPair;
          load.expertInBytes[device][link.ordinal()] += bytes;
          load.ownerOutBytes[owner][link.ordinal()] += bytes;
        }
      }
    }
    return load;
  }

  /** Bytes device {@code device} sends or receives over {@code link} at dispatch, the larger. */
  double linkBytes(int device, LinkClass link) {
    return Math.max(expertInBytes[device][link.ordinal()], ownerOutBytes[device][link.ordinal()]);
  }

  int devices() {
    return pairs.length;
  }
}
