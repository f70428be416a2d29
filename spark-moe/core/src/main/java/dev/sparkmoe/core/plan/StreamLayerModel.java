package dev.sparkmoe.core.plan;

/**
 * One layer on a GPU cluster: owners compute attention and route by roofline; dispatch and combine
 * move each device's bytes by the {@link Transport} (over the cluster's links, NVLink and
 * InfiniBand at the same time, a device's exchange lasting as long as its slower link); experts
 * compute by roofline plus a fixed cost per kernel, or at the measured rate where the calibration
 * has one; dispatch, expert compute and combine overlap with double buffering.
 */
final class StreamLayerModel {
  /** Kernels per expert call: gate-up GEMM, SwiGLU, down GEMM. */
  static final int KERNELS_PER_EXPERT = 3;

  /** Owner kernels per layer with attention: norm, QKV, RoPE, scores, output, residual, router. */
  static final int OWNER_KERNELS_ATTENTION = 10;

  /** Owner kernels per layer without attention: norm, router, top-k, pack and combine. */
  static final int OWNER_KERNELS_MOE_ONLY = 4;

  /** In-flight chunks per exchange: double buffering. */
  static final int CHUNKS = 2;

  private final ClusterSpec cluster;
  private final ModelShape model;
  private final Workload workload;
  private final Layout layout;
  private final KernelCalibration calibration;
  private final Transport transport;

  StreamLayerModel(
      ClusterSpec cluster,
      ModelShape model,
      Workload workload,
      Layout layout,
      KernelCalibration calibration,
      Transport transport) {
    this.cluster = cluster;
    this.model = model;
    this.workload = workload;
    this.layout = layout;
    this.calibration = calibration;
    this.transport = transport;
  }

  LayerCost layer(int layer) {
    LayerLoad load = LayerLoad.of(model, workload, layout, layer, cluster.devicesPerNode());
    double owner = ownerSeconds(load);
    Transport.Exchange exchange = exchange(load);
    double dispatch = transport.dispatchSeconds(exchange);
    double combine = transport.combineSeconds(exchange);
    double[] expert = expertSeconds(load);
    double streamed = overlapped(dispatch, expert[0], combine);
    double handoff = handoffSeconds(layer);
    return new LayerCost(
        layer,
        owner,
        dispatch,
        expert[0],
        expert[1],
        combine,
        handoff,
        0,
        owner + streamed + handoff);
  }

  /** Three phases in double-buffered chunks: the longest, plus the others' first chunk. */
  static double overlapped(double a, double b, double c) {
    double max = Math.max(a, Math.max(b, c));
    return max + (a + b + c - max) / CHUNKS;
  }

  private double ownerSeconds(LayerLoad load) {
    DeviceSpec device = cluster.device();
    int kernels = model.hasAttention() ? OWNER_KERNELS_ATTENTION : OWNER_KERNELS_MOE_ONLY;
    double worst = 0;
    for (double tokens : load.ownedTokens) {
      if (tokens <= 0) {
        continue;
      }
      double flops = tokens * model.ownerFlopsPerToken(workload.sequenceLength());
      // Reads the weights once and the activations a few times (norm, projections, residual).
      double bytes =
          model.ownerWeightBytes() + 4.0 * tokens * model.hidden() * workload.activationBytes();
      worst =
          Math.max(
              worst, device.rooflineSeconds(flops, bytes) + kernels * device.kernelLaunchSeconds());
    }
    return worst;
  }

  /** The layer's exchange, one direction, as the transports need it: each the slowest device's. */
  private Transport.Exchange exchange(LayerLoad load) {
    double seconds = 0;
    double bytes = 0;
    double tokensPerRank = 0;
    int ranks = 0;
    for (int device = 0; device < load.devices(); device++) {
      double intraBytes = load.linkBytes(device, LinkClass.INTRA);
      double interBytes = load.linkBytes(device, LinkClass.INTER);
      double intra = cluster.intraNode().seconds(intraBytes);
      double inter = cluster.interNode().seconds(interBytes);
      seconds = Math.max(seconds, Math.max(intra, inter));
      bytes = Math.max(bytes, intraBytes + interBytes);
      tokensPerRank = Math.max(tokensPerRank, load.ownedTokens[device]);
      if (load.pairs[device] > 0 || load.ownedTokens[device] > 0) {
        ranks++;
      }
    }
    return new Transport.Exchange(seconds, bytes, tokensPerRank, ranks, model.hidden());
  }

  /** The slowest device's expert time and, of it, the fixed per-kernel part. */
  private double[] expertSeconds(LayerLoad load) {
    double[] seconds = new double[load.devices()];
    double[] launches = new double[load.devices()];
    DeviceSpec device = cluster.device();
    for (LayerLoad.Call call : load.calls) {
      if (call.tokens() <= 0) {
        continue;
      }
      var measured =
          calibration.expertSeconds(device.name(), call.tokens(), model.hidden(), model.ffn());
      double fixed = KERNELS_PER_EXPERT * device.kernelLaunchSeconds();
      if (measured.isPresent()) {
        seconds[call.device()] += measured.getAsDouble() * call.weightFraction();
      } else {
        double flops = call.tokens() * model.expertFlopsPerToken() * call.weightFraction();
        double bytes =
            model.expertWeightBytes() * call.weightFraction()
                + 2.0 * call.tokens() * model.hidden() * workload.activationBytes();
        seconds[call.device()] += device.rooflineSeconds(flops, bytes) + fixed;
        launches[call.device()] += fixed;
      }
    }
    int slowest = 0;
    for (int d = 1; d < seconds.length; d++) {
      if (seconds[d] > seconds[slowest]) {
        slowest = d;
      }
    }
    return new double[] {seconds[slowest], launches[slowest]};
  }

  /** The residual stream moving to the next layer's owners, pairwise, when the owners change. */
  private double handoffSeconds(int layer) {
    if (layer + 1 >= layout.numLayers()) {
      return 0;
    }
    int[] from = layout.owners(layer);
    int[] to = layout.owners(layer + 1);
    if (java.util.Arrays.equals(from, to)) {
      return 0;
    }
    int pairs = Math.min(from.length, to.length);
    double bytes =
        (double) workload.tokensPerBatch() * model.hidden() * workload.activationBytes() / pairs;
    double worst = 0;
    for (int i = 0; i < pairs; i++) {
      LinkClass link = LinkClass.between(from[i], to[i], cluster.devicesPerNode());
      LinkSpec spec = link == LinkClass.INTER ? cluster.interNode() : cluster.intraNode();
      worst = Math.max(worst, link == LinkClass.LOCAL ? 0 : spec.seconds(bytes));
    }
    return worst;
  }
}
