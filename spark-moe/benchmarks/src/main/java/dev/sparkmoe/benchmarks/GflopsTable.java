package dev.sparkmoe.benchmarks;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;

/**
 * Turns JMH results (average time per call, in ms) into GFLOP/s with each benchmark's own FLOP
 * count, with the range over measurement iterations (the machine's noise).
 */
final class GflopsTable {
  private static final Map<String, ToDoubleFunction<Map<String, String>>> FLOPS =
      Map.of(
          ExpertFfnBenchmark.class.getSimpleName(), ExpertFfnBenchmark::flops,
          SgemmBenchmark.class.getSimpleName(), SgemmBenchmark::flops,
          SwiGluBenchmark.class.getSimpleName(), SwiGluBenchmark::flops,
          RouterBenchmark.class.getSimpleName(), RouterBenchmark::flops,
          AttentionBenchmark.class.getSimpleName(), AttentionBenchmark::flops,
          Bf16GemmBenchmark.class.getSimpleName(), Bf16GemmBenchmark::flops);

  private GflopsTable() {}

  /** One measured case: benchmark, its parameters, mean and range of milliseconds per call. */
  record Row(String benchmark, Map<String, String> params, double ms, double minMs, double maxMs) {
    double flops() {
      return FLOPS.get(benchmark.substring(0, benchmark.indexOf('.'))).applyAsDouble(params);
    }

    double gflops(double millis) {
      return flops() / (millis * 1e-3) / 1e9;
    }

    String label() {
      StringBuilder label = new StringBuilder(benchmark);
      params.forEach((k, v) -> label.append(' ').append(k).append('=').append(v));
      return label.toString();
    }
  }

  static String render(Collection<RunResult> results) {
    List<Row> rows = new ArrayList<>();
    for (RunResult result : results) {
      rows.add(row(result));
    }
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "%-62s %11s %9s %17s%n",
            "benchmark",
            "ms/call",
            "GFLOP/s",
            "range GFLOP/s"));
    for (Row row : rows) {
      out.append(
          String.format(
              Locale.ROOT,
              "%-62s %11.3f %9.1f %8.1f - %6.1f%n",
              row.label(),
              row.ms(),
              row.gflops(row.ms()),
              row.gflops(row.maxMs()),
              row.gflops(row.minMs())));
    }
    out.append(FfnVersusSgemm.render(rows));
    return out.toString();
  }

  private static Row row(RunResult result) {
    BenchmarkParams params = result.getParams();
    String name = params.getBenchmark();
    String shortName = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
    Map<String, String> values = new LinkedHashMap<>();
    for (String key : params.getParamsKeys()) {
      values.put(key, params.getParam(key));
    }
    Result<?> primary = result.getPrimaryResult();
    return new Row(
        shortName,
        values,
        primary.getScore(),
        primary.getStatistics().getMin(),
        primary.getStatistics().getMax());
  }
}
