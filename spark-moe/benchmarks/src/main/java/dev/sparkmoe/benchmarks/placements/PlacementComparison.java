package dev.sparkmoe.benchmarks.placements;

import dev.sparkmoe.core.placement.PlacementPolicy;
import dev.sparkmoe.core.plan.ClusterPresets;
import dev.sparkmoe.core.plan.ClusterSpec;
import dev.sparkmoe.core.plan.CostModel;
import dev.sparkmoe.core.plan.LayerCost;
import dev.sparkmoe.core.plan.Layouts;
import dev.sparkmoe.core.plan.ModelShape;
import dev.sparkmoe.core.plan.Prediction;
import dev.sparkmoe.core.plan.SparkCosts;
import dev.sparkmoe.core.plan.Workload;
import dev.sparkmoe.spark.pipeline.RunReport;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Measured runs beside the cost model's predictions for the same CPU cluster. Every prediction uses
 * the kernel calibration, the router load seen on the placement's warm-up sample, and Spark's costs
 * as the median over the placements' clusters (they are the same cluster, started afresh, so the
 * median keeps one noisy probe from deciding a placement's prediction); never the measured run
 * itself.
 */
public final class PlacementComparison {
  /**
   * One placement.
   *
   * @param result what was measured
   * @param prediction what the cost model predicted for it
   */
  public record Entry(PlacementResult result, Prediction prediction) {
    public double measuredSeconds() {
      return result.report().wallSeconds();
    }

    public double predictedSeconds() {
      return prediction.latencySeconds();
    }

    /** Predicted over measured time, minus one: +0.1 is a prediction 10% too slow. */
    public double error() {
      return predictedSeconds() / measuredSeconds() - 1;
    }

    public long bytesShuffled() {
      return result.report().layers().stream()
          .mapToLong(l -> l.bytesDispatched() + l.bytesCombined())
          .sum();
    }
  }

  private final List<Entry> entries;

  private PlacementComparison(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  /**
   * @param model the model with f32 weights, as the CPU backend holds them
   * @param activationBytes bytes per activation in the shuffles (4 for f32)
   */
  public static PlacementComparison of(
      List<PlacementResult> results,
      ModelShape model,
      CostModel costModel,
      int sequenceLength,
      int activationBytes) {
    List<Entry> entries = new ArrayList<>();
    SparkCosts costs = medianCosts(results);
    for (PlacementResult r : results) {
      ClusterSpec cluster = ClusterPresets.cpuLocal(r.executors(), costs);
      Workload workload =
          Workload.sparkRun(
                  r.report().tokens(), sequenceLength, activationBytes, r.report().partitions())
              .withObservedLoad(r.sampleTokensPerExpert());
      var layout = Layouts.of(PlacementPolicy.parse(r.placement()), model, r.slots());
      entries.add(new Entry(r, costModel.predict(cluster, model, workload, layout)));
    }
    return new PlacementComparison(entries);
  }

  /** Spark's costs, each the median over the results' probes. */
  static SparkCosts medianCosts(List<PlacementResult> results) {
    return new SparkCosts(
        results.get(0).costs().cores(),
        median(results, SparkCosts::taskSeconds),
        median(results, SparkCosts::stageSeconds),
        median(results, SparkCosts::exchangeSecondsPerByte));
  }

  private static double median(
      List<PlacementResult> results, java.util.function.ToDoubleFunction<SparkCosts> field) {
    double[] values =
        results.stream().mapToDouble(r -> field.applyAsDouble(r.costs())).sorted().toArray();
    int mid = values.length / 2;
    return values.length % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
  }

  public List<Entry> entries() {
    return entries;
  }

  /** Whether the predictions order the placements as the measurements do (fastest first). */
  public boolean rankingMatches() {
    return order(Entry::measuredSeconds).equals(order(Entry::predictedSeconds));
  }

  /** Placement names, fastest first by {@code seconds}. */
  public List<String> order(java.util.function.ToDoubleFunction<Entry> seconds) {
    return entries.stream()
        .sorted(Comparator.comparingDouble(seconds))
        .map(e -> e.result().placement())
        .toList();
  }

  /** The largest |error| over the placements. */
  public double worstError() {
    return entries.stream().mapToDouble(e -> Math.abs(e.error())).max().orElse(0);
  }

  /** A fixed-width table: one row per placement. */
  public String table() {
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "%-14s %5s %10s %10s %8s %9s %9s %8s %9s %7s %11s%n",
            "placement",
            "slots",
            "tok/s meas",
            "tok/s pred",
            "s meas",
            "s pred",
            "error",
            "balance",
            "MB moved",
            "load",
            "bottleneck"));
    for (Entry e : entries) {
      RunReport report = e.result().report();
      out.append(
          String.format(
              Locale.ROOT,
              "%-14s %5d %10.0f %10.0f %8.1f %9.1f %+8.0f%% %8.2f %9.0f %7.2f %11s%n",
              e.result().placement(),
              e.result().slots(),
              report.tokensPerSecond(),
              e.prediction().tokensPerSecond(),
              e.measuredSeconds(),
              e.predictedSeconds(),
              100 * e.error(),
              meanBalance(report),
              e.bytesShuffled() / 1e6,
              (e.result().loadBefore() + e.result().loadAfter()) / 2,
              e.prediction().bottleneck()));
    }
    return out.toString();
  }

  /** Per placement: each layer's measured and predicted time, and the slots' token loads. */
  public String details() {
    StringBuilder out = new StringBuilder();
    for (Entry e : entries) {
      PlacementResult r = e.result();
      out.append(
          String.format(
              Locale.ROOT,
              "%s: Spark costs probed on its cluster: task %.1f ms, stage %.1f ms, %.2f ns/byte"
                  + " across an exchange, %d cores (predictions use the median over placements)%n",
              r.placement(),
              r.costs().taskSeconds() * 1e3,
              r.costs().stageSeconds() * 1e3,
              r.costs().exchangeSecondsPerByte() * 1e9,
              r.costs().cores()));
      List<RunReport.Layer> layers = r.report().layers();
      for (int i = 0; i < layers.size(); i++) {
        RunReport.Layer layer = layers.get(i);
        LayerCost cost = e.prediction().layers().get(i);
        out.append(
            String.format(
                Locale.ROOT,
                "  layer %d: %.2f s measured, %.2f s predicted (owner %.2f, dispatch %.2f, experts"
                    + " %.2f, overhead %.2f); expert compute %.2f s, blocked %.2f s; tokens per"
                    + " slot %s%n",
                layer.layer(),
                layer.wallSeconds(),
                cost.totalSeconds(),
                cost.ownerSeconds(),
                cost.dispatchSeconds(),
                cost.expertSeconds(),
                cost.overheadSeconds(),
                layer.expertComputeSeconds(),
                layer.expertBlockedSeconds(),
                slotTokens(layer)));
      }
    }
    return out.toString();
  }

  static double meanBalance(RunReport report) {
    return report.layers().stream().mapToDouble(RunReport.Layer::balance).average().orElse(1);
  }

  private static String slotTokens(RunReport.Layer layer) {
    return layer.slots().stream()
        .map(s -> s.slot() + ":" + s.tokens())
        .collect(Collectors.joining(" ", "[", "]"));
  }
}
