package dev.sparkmoe.core.plan;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Predicts how long a batch takes through a model placed by a {@link Layout} on a {@link
 * ClusterSpec}: per layer, the owners' attention and routing, dispatch and combine over the links
 * (which pairs stay on their device or node), the experts' compute by roofline or measured kernel
 * times, and their overlap; then the whole stack's latency, which is the time per output token of a
 * decoding step, and its throughput, pipelined across layers where each stage has devices of its
 * own. Stateless and thread-safe.
 */
public final class CostModel {
  private final KernelCalibration calibration;
  private final Transport transport;

  /** Prices GPU exchanges over the cluster's links ({@link Transport#links()}). */
  public CostModel(KernelCalibration calibration) {
    this(calibration, Transport.links());
  }

  /**
   * @param transport how a GPU cluster's dispatch and combine travel (a Spark cluster shuffles)
   */
  public CostModel(KernelCalibration calibration, Transport transport) {
    this.calibration = Objects.requireNonNull(calibration, "calibration");
    this.transport = Objects.requireNonNull(transport, "transport");
  }

  /** A model on datasheet rates alone. */
  public static CostModel uncalibrated() {
    return new CostModel(KernelCalibration.empty());
  }

  public KernelCalibration calibration() {
    return calibration;
  }

  public Transport transport() {
    return transport;
  }

  /** This model with GPU exchanges over {@code value}. */
  public CostModel withTransport(Transport value) {
    return new CostModel(calibration, value);
  }

  public Prediction predict(
      ClusterSpec cluster, ModelShape model, Workload workload, Layout layout) {
    check(cluster, model, layout);
    List<LayerCost> layers = new ArrayList<>();
    double runOverhead = 0;
    if (cluster.execution() == ClusterSpec.Execution.SPARK_TASKS) {
      SparkLayerModel spark = new SparkLayerModel(cluster, model, workload, layout, calibration);
      for (int layer = 0; layer < model.layers(); layer++) {
        layers.add(spark.layer(layer));
      }
      runOverhead = spark.runOverheadSeconds();
    } else {
      StreamLayerModel streams =
          new StreamLayerModel(cluster, model, workload, layout, calibration, transport);
      for (int layer = 0; layer < model.layers(); layer++) {
        layers.add(streams.layer(layer));
      }
    }
    double latency = runOverhead + layers.stream().mapToDouble(LayerCost::totalSeconds).sum();
    boolean pipelined =
        cluster.execution() == ClusterSpec.Execution.DEVICE_STREAMS && layout.pipelines();
    int[] starts = pipelined ? layout.stageStarts() : new int[] {0};
    double slowestStage = slowestStage(layers, starts);
    double tokens = workload.tokensPerBatch();
    return new Prediction(
        layout.name(),
        layout.description(),
        layout.numDevices(),
        layout.maxExpertsPerDevice(),
        fits(cluster, model, layout),
        layers,
        runOverhead,
        latency,
        tokens / (pipelined ? slowestStage : latency),
        tokens / latency,
        starts.length,
        bottleneck(layers),
        calibrated(cluster));
  }

  private boolean calibrated(ClusterSpec cluster) {
    return calibration.covers(cluster.device().name(), KernelCalibration.EXPERT_FFN);
  }

  private static void check(ClusterSpec cluster, ModelShape model, Layout layout) {
    if (layout.numLayers() != model.layers() || layout.numExperts() != model.experts()) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot price layout %s: it places %d layers x %d experts, the model has %d x %d",
              layout.name(),
              layout.numLayers(),
              layout.numExperts(),
              model.layers(),
              model.experts()));
    }
    if (cluster.execution() == ClusterSpec.Execution.DEVICE_STREAMS
        && layout.numDevices() > cluster.devices()) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot price layout %s on %s: it needs %d devices, the cluster has %d",
              layout.name(), cluster.name(), layout.numDevices(), cluster.devices()));
    }
  }

  private static boolean fits(ClusterSpec cluster, ModelShape model, Layout layout) {
    if (cluster.execution() == ClusterSpec.Execution.SPARK_TASKS) {
      return true;
    }
    double bytes =
        layout.maxExpertsPerDevice() * model.expertWeightBytes()
            + (double) model.layers() * model.ownerWeightBytes();
    return bytes <= cluster.device().memoryBytes();
  }

  private static double slowestStage(List<LayerCost> layers, int[] starts) {
    double slowest = 0;
    for (int s = 0; s < starts.length; s++) {
      int end = s + 1 < starts.length ? starts[s + 1] : layers.size();
      double stage = 0;
      for (int layer = starts[s]; layer < end; layer++) {
        stage += layers.get(layer).totalSeconds();
      }
      slowest = Math.max(slowest, stage);
    }
    return slowest;
  }

  private static String bottleneck(List<LayerCost> layers) {
    double owners = 0;
    double network = 0;
    double compute = 0;
    double launches = 0;
    double overhead = 0;
    for (LayerCost c : layers) {
      owners += c.ownerSeconds();
      network += c.dispatchSeconds() + c.combineSeconds() + c.handoffSeconds();
      compute += c.expertSeconds() - c.launchSeconds();
      launches += c.launchSeconds();
      overhead += c.overheadSeconds();
    }
    double[] values = {owners, network, compute, launches, overhead};
    String[] names = {"owners", "network", "expert compute", "kernel launches", "spark overhead"};
    int max = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[max]) {
        max = i;
      }
    }
    return names[max];
  }

  /** One line per layer, for logs and {@code --verbose} output. */
  public static String describe(Prediction p) {
    StringBuilder out = new StringBuilder();
    for (LayerCost c : p.layers()) {
      out.append(
          String.format(
              Locale.ROOT,
              "  layer %d: owner %.3g s, dispatch %.3g s, experts %.3g s (fixed %.3g s), combine"
                  + " %.3g s, handoff %.3g s, overhead %.3g s -> %.3g s%n",
              c.layer(),
              c.ownerSeconds(),
              c.dispatchSeconds(),
              c.expertSeconds(),
              c.launchSeconds(),
              c.combineSeconds(),
              c.handoffSeconds(),
              c.overheadSeconds(),
              c.totalSeconds()));
    }
    return out.toString();
  }
}
