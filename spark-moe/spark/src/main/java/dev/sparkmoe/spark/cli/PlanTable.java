package dev.sparkmoe.spark.cli;

import dev.sparkmoe.core.plan.ModelShape;
import dev.sparkmoe.core.plan.Prediction;
import dev.sparkmoe.core.plan.ReferenceExperiment;
import java.util.List;
import java.util.Locale;

/** The text tables {@code moe plan} prints. */
final class PlanTable {
  private PlanTable() {}

  static String placements(List<Prediction> ranked, boolean spark) {
    return spark ? sparkPlacements(ranked) : gpuPlacements(ranked);
  }

  private static String gpuPlacements(List<Prediction> ranked) {
    StringBuilder out = new StringBuilder();
    String format = "%-15s %5s %11s %6s %13s %13s %10s %-16s %s%n";
    out.append(
        String.format(
            Locale.ROOT,
            format,
            "placement",
            "GPUs",
            "experts/GPU",
            "stages",
            "tokens/s",
            "1-batch tok/s",
            "ms/token",
            "bottleneck",
            "fits"));
    for (Prediction p : ranked) {
      out.append(
          String.format(
              Locale.ROOT,
              format,
              p.layout(),
              p.devices(),
              trim(p.expertsPerDevice()),
              p.pipelineStages(),
              rate(p.tokensPerSecond()),
              rate(p.oneBatchTokensPerSecond()),
              String.format(Locale.ROOT, "%.3f", p.secondsPerOutputToken() * 1e3),
              p.bottleneck(),
              p.fits() ? "yes" : "no"));
    }
    return out.toString();
  }

  /** A Spark run is one pass over the table: its time, not a time per output token. */
  private static String sparkPlacements(List<Prediction> ranked) {
    StringBuilder out = new StringBuilder();
    String format = "%-15s %5s %12s %10s %9s  %s%n";
    out.append(
        String.format(
            Locale.ROOT,
            format,
            "placement",
            "slots",
            "experts/slot",
            "tokens/s",
            "seconds",
            "bottleneck"));
    for (Prediction p : ranked) {
      out.append(
          String.format(
              Locale.ROOT,
              format,
              p.layout(),
              p.devices(),
              trim(p.expertsPerDevice()),
              rate(p.tokensPerSecond()),
              String.format(Locale.ROOT, "%.1f", p.latencySeconds()),
              p.bottleneck()));
    }
    return out.toString();
  }

  static String reference(ReferenceExperiment.Comparison c, ModelShape shape) {
    Prediction a = c.onePerGpu();
    Prediction b = c.colocated();
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "Reference experiment (%d layers x %d experts, %d tokens/batch): published vs this"
                + " model%n",
            shape.layers(),
            shape.experts(),
            Math.round(a.oneBatchTokensPerSecond() * a.latencySeconds())));
    String format = "%-32s %18s %22s %10s%n";
    out.append(
        String.format(
            Locale.ROOT,
            format,
            "",
            "1 expert/GPU (" + a.devices() + ")",
            "4/GPU TP=8 PP=2 (" + b.devices() + ")",
            "ratio"));
    row(
        out,
        format,
        "published tokens/s",
        ReferenceExperiment.ONE_PER_GPU_TOKENS_PER_SECOND,
        ReferenceExperiment.COLOCATED_TOKENS_PER_SECOND);
    row(
        out,
        format,
        "model tokens/s, 1 batch in flight",
        a.oneBatchTokensPerSecond(),
        b.oneBatchTokensPerSecond());
    row(out, format, "model tokens/s, pipelined", a.tokensPerSecond(), b.tokensPerSecond());
    ms(
        out,
        format,
        "published ms/token",
        ReferenceExperiment.ONE_PER_GPU_SECONDS_PER_TOKEN,
        ReferenceExperiment.COLOCATED_SECONDS_PER_TOKEN);
    ms(out, format, "model ms/token", a.secondsPerOutputToken(), b.secondsPerOutputToken());
    out.append(
        String.format(
            Locale.ROOT,
            format,
            "model / published, tokens/s",
            times(a.oneBatchTokensPerSecond() / ReferenceExperiment.ONE_PER_GPU_TOKENS_PER_SECOND),
            times(b.oneBatchTokensPerSecond() / ReferenceExperiment.COLOCATED_TOKENS_PER_SECOND),
            ""));
    out.append(
        String.format(
            Locale.ROOT,
            "Ratio one-per-GPU over colocated: published %.2f (tokens/s) and %.2f (ms/token); model"
                + " %.2f (1 batch), %.2f (pipelined), %.2f (ms/token): the model's 1-batch ratio is"
                + " %+.0f%% off the published one.%n",
            ReferenceExperiment.Comparison.publishedTokensPerSecondRatio(),
            ReferenceExperiment.Comparison.publishedSecondsPerTokenRatio(),
            c.oneBatchRatio(),
            c.tokensPerSecondRatio(),
            c.secondsPerTokenRatio(),
            100
                * (c.oneBatchRatio()
                        / ReferenceExperiment.Comparison.publishedTokensPerSecondRatio()
                    - 1)));
    out.append(
        String.format(
            Locale.ROOT,
            "Bottlenecks: %s %s, %s %s.%n",
            a.layout(),
            a.bottleneck(),
            b.layout(),
            b.bottleneck()));
    return out.toString();
  }

  /**
   * Per layer, the reference's two configurations under each transport, and which transports reach
   * the published one-per-GPU time per layer.
   */
  static String transports(List<PlanCommand.TransportComparison> rows, ModelShape shape) {
    double target = ReferenceExperiment.ONE_PER_GPU_SECONDS_PER_LAYER;
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "Transports, per layer (the published %.1f ms per output token over %d layers is %.0f µs"
                + " per layer):%n",
            ReferenceExperiment.ONE_PER_GPU_SECONDS_PER_TOKEN * 1e3,
            ReferenceExperiment.LAYERS,
            target * 1e6));
    out.append("µs per layer, then layer 0's dispatch + experts + combine (they overlap)\n");
    String format = "%-15s %-34s %-34s %s%n";
    out.append(
        String.format(
            Locale.ROOT,
            format,
            "transport",
            "1 expert/GPU (" + rows.get(0).comparison().onePerGpu().devices() + ")",
            "4/GPU TP=8 PP=2 (" + rows.get(0).comparison().colocated().devices() + ")",
            "1 expert/GPU within " + Math.round(target * 1e6) + " µs"));
    List<String> reach = new java.util.ArrayList<>();
    List<String> miss = new java.util.ArrayList<>();
    for (PlanCommand.TransportComparison row : rows) {
      Prediction a = row.comparison().onePerGpu();
      Prediction b = row.comparison().colocated();
      double perLayer = a.latencySeconds() / shape.layers();
      boolean reaches = perLayer <= target;
      (reaches ? reach : miss)
          .add(String.format(Locale.ROOT, "%s (%.0f µs)", row.transport().name(), perLayer * 1e6));
      out.append(
          String.format(
              Locale.ROOT,
              format,
              row.transport().name(),
              perLayer(a, shape),
              perLayer(b, shape),
              reaches ? "yes" : "no"));
    }
    rows.forEach(
        r ->
            out.append(
                String.format(
                    Locale.ROOT, "  %s: %s%n", r.transport().name(), r.transport().description())));
    out.append(
        String.format(
            Locale.ROOT,
            "One expert per GPU reaches %.0f µs per layer over: %s; not over: %s.%n",
            target * 1e6,
            reach.isEmpty() ? "none" : String.join(", ", reach),
            miss.isEmpty() ? "none" : String.join(", ", miss)));
    return out.toString();
  }

  /** Mean time per layer of one batch, and layer 0's dispatch, experts and combine, in µs. */
  private static String perLayer(Prediction p, ModelShape shape) {
    var layer = p.layers().get(0);
    return String.format(
        Locale.ROOT,
        "%.1f (%.1f+%.1f+%.1f)",
        p.latencySeconds() / shape.layers() * 1e6,
        layer.dispatchSeconds() * 1e6,
        layer.expertSeconds() * 1e6,
        layer.combineSeconds() * 1e6);
  }

  private static void row(StringBuilder out, String format, String name, double a, double b) {
    out.append(String.format(Locale.ROOT, format, name, rate(a), rate(b), ratio(a / b)));
  }

  private static void ms(StringBuilder out, String format, String name, double a, double b) {
    out.append(
        String.format(
            Locale.ROOT,
            format,
            name,
            String.format(Locale.ROOT, "%.3f", a * 1e3),
            String.format(Locale.ROOT, "%.3f", b * 1e3),
            ratio(b / a)));
  }

  static String rate(double tokensPerSecond) {
    return String.format(Locale.ROOT, "%,.0f", tokensPerSecond);
  }

  private static String ratio(double value) {
    return String.format(Locale.ROOT, "%.2f", value);
  }

  private static String times(double value) {
    return String.format(Locale.ROOT, "%.2fx", value);
  }

  private static String trim(double value) {
    return value == Math.rint(value)
        ? Long.toString((long) value)
        : String.format(Locale.ROOT, "%.2f", value);
  }
}
