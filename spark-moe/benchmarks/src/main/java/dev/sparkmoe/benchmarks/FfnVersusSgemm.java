package dev.sparkmoe.benchmarks;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The expert FFN against its yardstick: the two plain sgemms at its shapes (gate_up, then down)
 * through the same native BLAS, whose combined rate is {@code (F_gate_up + F_down) / (t_gate_up +
 * t_down)}. The FFN's extra work (SwiGLU, chunking) is what the ratio charges it for.
 */
final class FfnVersusSgemm {
  private FfnVersusSgemm() {}

  static String render(List<GflopsTable.Row> rows) {
    StringBuilder out = new StringBuilder();
    for (GflopsTable.Row ffn : rows) {
      if (!ffn.benchmark().startsWith(ExpertFfnBenchmark.class.getSimpleName())) {
        continue;
      }
      String n = ffn.params().get("n");
      Optional<GflopsTable.Row> gateUp = sgemm(rows, n, "gate_up");
      Optional<GflopsTable.Row> down = sgemm(rows, n, "down");
      if (gateUp.isEmpty() || down.isEmpty()) {
        continue;
      }
      if (out.length() == 0) {
        out.append(
            String.format(
                Locale.ROOT,
                "%nExpert FFN vs sgemm at the same shapes (native BLAS)%n%-8s %14s %14s %9s%n",
                "n",
                "FFN GFLOP/s",
                "sgemm GFLOP/s",
                "FFN/sgemm"));
      }
      double sgemmRate =
          (gateUp.get().flops() + down.get().flops())
              / ((gateUp.get().ms() + down.get().ms()) * 1e-3)
              / 1e9;
      double ffnRate = ffn.gflops(ffn.ms());
      out.append(
          String.format(
              Locale.ROOT,
              "%-8s %14.1f %14.1f %8.0f%%%n",
              n,
              ffnRate,
              sgemmRate,
              100 * ffnRate / sgemmRate));
    }
    return out.toString();
  }

  private static Optional<GflopsTable.Row> sgemm(
      List<GflopsTable.Row> rows, String n, String shape) {
    return rows.stream()
        .filter(r -> r.benchmark().startsWith(SgemmBenchmark.class.getSimpleName()))
        .filter(r -> n.equals(r.params().get("n")))
        .filter(r -> shape.equals(r.params().get("shape")))
        .filter(r -> "native".equals(r.params().get("impl")))
        .findFirst();
  }
}
