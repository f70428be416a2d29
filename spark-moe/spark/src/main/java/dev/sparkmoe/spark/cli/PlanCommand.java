package dev.sparkmoe.spark.cli;

import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.plan.ClusterPresets;
import dev.sparkmoe.core.plan.ClusterSpec;
import dev.sparkmoe.core.plan.CostModel;
import dev.sparkmoe.core.plan.GpuAllToAll;
import dev.sparkmoe.core.plan.HostTcp;
import dev.sparkmoe.core.plan.KernelCalibration;
import dev.sparkmoe.core.plan.ModelShape;
import dev.sparkmoe.core.plan.Planner;
import dev.sparkmoe.core.plan.Prediction;
import dev.sparkmoe.core.plan.ReferenceExperiment;
import dev.sparkmoe.core.plan.Transport;
import dev.sparkmoe.core.plan.Workload;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code moe plan}: ranks placements of a model on a described cluster with the cost model,
 * recommends one, and sets the reference experiment's two configurations beside the published
 * figures. No Spark session.
 */
@Command(
    name = "plan",
    mixinStandardHelpOptions = true,
    description =
        "Predict tokens/s and time per token for each placement of a model on a cluster, and"
            + " recommend one.")
final class PlanCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--cluster",
      defaultValue = "h100-8x8",
      description =
          "h100-NxG, h200-NxG (nodes x GPUs per node) or cpu-local[:N] (default: ${DEFAULT-VALUE}).")
  String cluster;

  @Option(
      names = "--model",
      defaultValue = "seed-4x16",
      description = "A preset (tiny, seed-4x16) or a model directory (default: ${DEFAULT-VALUE}).")
  String model;

  @Option(
      names = "--tokens",
      defaultValue = "1024",
      description = "Tokens per batch (default: ${DEFAULT-VALUE}).")
  long tokens;

  @Option(
      names = "--sequence-length",
      defaultValue = "128",
      description = "Tokens each token attends over (default: ${DEFAULT-VALUE}).")
  int sequenceLength;

  @Option(
      names = "--moe-only",
      description = "Price the layers without attention (pure MoE layers).")
  boolean moeOnly;

  @Option(names = "--per-layer", description = "Also print each placement's per-layer costs.")
  boolean perLayer;

  @Option(
      names = "--calibration",
      description =
          "Measured kernel times (CSV) to use instead of datasheet rates; its loopback-tcp rows"
              + " (bench transport) price the host-staged TCP transport.")
  Path calibration;

  @Override
  public Integer call() {
    ClusterSpec target = ClusterPresets.parse(cluster);
    boolean spark = target.execution() == ClusterSpec.Execution.SPARK_TASKS;
    ModelShape shape = shape(spark);
    CostModel costModel =
        new CostModel(
            calibration == null ? KernelCalibration.empty() : KernelCalibration.read(calibration));
    Workload workload =
        spark
            ? Workload.sparkRun(tokens, sequenceLength, 4, target.devices())
            : Workload.gpuBatch(tokens, sequenceLength);
    PrintWriter out = spec.commandLine().getOut();
    header(out, target, shape, costModel);
    List<Prediction> ranked = new Planner(costModel).rank(target, shape, workload);
    out.print(PlanTable.placements(ranked, spark));
    if (perLayer) {
      ranked.forEach(p -> out.printf("%s:%n%s", p.layout(), CostModel.describe(p)));
    }
    Prediction best = ranked.get(0);
    out.printf(
        Locale.ROOT,
        "%nRecommended: %s (%s): %s tokens/s, %s; bottleneck: %s.%n",
        best.layout(),
        best.description(),
        PlanTable.rate(best.tokensPerSecond()),
        spark
            ? String.format(Locale.ROOT, "%.1f s for the run", best.latencySeconds())
            : String.format(Locale.ROOT, "%.3f ms per token", best.secondsPerOutputToken() * 1e3),
        best.bottleneck());
    if (!spark) {
      reference(out, target, shape, costModel, workload);
    }
    out.flush();
    return 0;
  }

  private ModelShape shape(boolean spark) {
    ModelShape shape;
    Path dir = Path.of(model);
    if (Files.isDirectory(dir)) {
      try (MoeModel opened = MoeModel.open(dir)) {
        shape = ModelShape.of(dir.getFileName().toString(), opened.config(), 2);
      }
    } else {
      shape = ModelShape.preset(model);
    }
    // The CPU backend holds weights as f32; GPUs keep the checkpoint's 16-bit weights.
    shape = spark ? shape.withWeightBytes(4) : shape.withWeightBytes(2);
    return moeOnly ? shape.withoutAttention() : shape;
  }

  private void header(PrintWriter out, ClusterSpec target, ModelShape shape, CostModel costModel) {
    out.printf("Cluster: %s%n", target);
    out.printf(
        Locale.ROOT,
        "Model: %s: %d layers x %d experts, top-%d, hidden %d, ffn %d, %d-byte weights (%.1f MB"
            + " per expert), %s%n",
        shape.name(),
        shape.layers(),
        shape.experts(),
        shape.topK(),
        shape.hidden(),
        shape.ffn(),
        shape.weightBytes(),
        shape.expertWeightBytes() / 1e6,
        shape.hasAttention() ? "attention in every layer" : "pure MoE layers");
    out.printf(
        Locale.ROOT,
        "Batch: %d tokens, sequence length %d; rates: %s%n%n",
        tokens,
        sequenceLength,
        costModel.calibration().isEmpty()
            ? "datasheet (no kernel calibration)"
            : "measured kernels from " + costModel.calibration().source());
  }

  private void reference(
      PrintWriter out,
      ClusterSpec target,
      ModelShape shape,
      CostModel costModel,
      Workload workload) {
    int needed = shape.layers() * shape.experts();
    if (target.devices() < needed) {
      out.printf(
          "%nReference experiment: needs %d GPUs for one expert per GPU; %s has %d.%n",
          needed, target.name(), target.devices());
      return;
    }
    ReferenceExperiment.Comparison comparison =
        ReferenceExperiment.compare(costModel, target, shape, workload);
    out.println();
    out.print(PlanTable.reference(comparison, shape));
    List<TransportComparison> byTransport =
        transports(costModel.calibration()).stream()
            .map(
                t ->
                    new TransportComparison(
                        t,
                        ReferenceExperiment.compare(
                            costModel.withTransport(t), target, shape, workload)))
            .toList();
    out.println();
    out.print(PlanTable.transports(byTransport, shape));
  }

  /** One transport and the reference's two configurations priced over it. */
  record TransportComparison(Transport transport, ReferenceExperiment.Comparison comparison) {}

  /**
   * The cluster's links, host-staged TCP (from the calibration's loopback rows when it has them,
   * else {@link ClusterPresets#LOOPBACK_TCP}) and the GPU-initiated all-to-all.
   */
  static List<Transport> transports(KernelCalibration calibration) {
    HostTcp tcp =
        HostTcp.covers(calibration) ? HostTcp.fit(calibration) : ClusterPresets.LOOPBACK_TCP;
    return List.of(Transport.links(), tcp, new GpuAllToAll());
  }
}
