package dev.sparkmoe.benchmarks.cli;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The table of {@code bench peer}: tokens/s of each system, its ratio to the core engine, the
 * fraction of the FLOP floor it reached, and how far its embeddings are from the core engine's (the
 * largest relative L2 distance over rows). The first result is the core engine, the reference.
 */
final class BenchReport {
  private final BenchWorkload workload;
  private final BenchMachine.Rate rate;
  private final List<BenchResult> results;
  private final double tolerance;

  BenchReport(
      BenchWorkload workload, BenchMachine.Rate rate, List<BenchResult> results, double tolerance) {
    this.workload = workload;
    this.rate = rate;
    this.results = results;
    this.tolerance = tolerance;
  }

  String table() {
    double flops = workload.flops();
    double floor = rate.seconds(flops);
    int tokens = workload.totalTokens();
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "machine: sgemm %dx%dx%d on %d thread(s) through %s: %.1f GFLOP/s%n"
                + "work: %d tokens in %d rows, %.1f GFLOP -> FLOP floor %.2f s%n%n",
            BenchMachine.N,
            BenchMachine.K,
            BenchMachine.M,
            rate.threads(),
            rate.blas(),
            rate.gflops(),
            tokens,
            workload.rows().size(),
            flops / 1e9,
            floor));
    out.append(
        String.format(
            Locale.ROOT,
            "%-20s %9s %15s %11s %9s %9s %13s%n",
            "system",
            "seconds",
            "range",
            "tokens/s",
            "vs core",
            "of floor",
            "max rel diff"));
    BenchResult core = results.get(0);
    for (BenchResult r : results) {
      out.append(
          String.format(
              Locale.ROOT,
              "%-20s %9.2f %15s %11.1f %8.2fx %8.0f%% %13.1e%n",
              r.system(),
              r.bestSeconds(),
              String.format(Locale.ROOT, "%.2f-%.2f", r.bestSeconds(), r.worstSeconds()),
              tokens / r.bestSeconds(),
              core.bestSeconds() / r.bestSeconds(),
              100 * floor / r.bestSeconds(),
              maxRelativeDiff(r, core)));
    }
    return out.toString();
  }

  /** The first system whose embeddings differ from the core engine's by more than the tolerance. */
  Optional<String> disagreement() {
    BenchResult core = results.get(0);
    for (BenchResult r : results.subList(1, results.size())) {
      double diff = maxRelativeDiff(r, core);
      if (!(diff <= tolerance)) {
        return Optional.of(
            String.format(
                Locale.ROOT,
                "Invalid benchmark result: %s embeddings differ from the core engine's by %.2e"
                    + " (expected: at most %.0e, relative L2 per row)",
                r.system(),
                diff,
                tolerance));
      }
    }
    return Optional.empty();
  }

  String agreementLine() {
    return String.format(
        Locale.ROOT,
        "%nagreement: every system within %.0e of the core engine (embeddings, relative L2 per row)%n",
        tolerance);
  }

  /** max over rows of ‖e − e_ref‖ / ‖e_ref‖; NaN (never within tolerance) on a missing row. */
  static double maxRelativeDiff(BenchResult result, BenchResult reference) {
    double worst = 0;
    for (int row = 0; row < reference.embeddings().length; row++) {
      float[] e = result.embeddings()[row];
      float[] ref = reference.embeddings()[row];
      if (e == null || e.length != ref.length) {
        return Double.NaN;
      }
      double diff = 0;
      double norm = 0;
      for (int i = 0; i < ref.length; i++) {
        diff += (e[i] - (double) ref[i]) * (e[i] - (double) ref[i]);
        norm += (double) ref[i] * ref[i];
      }
      worst = Math.max(worst, Math.sqrt(diff / norm));
    }
    return worst;
  }
}
