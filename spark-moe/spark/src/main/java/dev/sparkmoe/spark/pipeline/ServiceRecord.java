package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.service.ServerStats;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.CollectionAccumulator;

/**
 * Driver side: the service mode's statistics over a run's waves (servers' per-layer counts, owners'
 * per-layer timings), and the report's {@link RunReport.Exchange} built from them. Not thread-safe.
 */
final class ServiceRecord {
  private final List<ServerStats> servers = new ArrayList<>();
  private final List<OwnerTiming> timings = new ArrayList<>();

  /** One wave's accumulators. */
  record Wave(
      CollectionAccumulator<ServerStats> servers, CollectionAccumulator<OwnerTiming> timings) {}

  Wave wave(SparkSession spark) {
    CollectionAccumulator<ServerStats> s = new CollectionAccumulator<>();
    spark.sparkContext().register(s, "spark-moe expert server statistics");
    CollectionAccumulator<OwnerTiming> t = new CollectionAccumulator<>();
    spark.sparkContext().register(t, "spark-moe service owner timings");
    return new Wave(s, t);
  }

  void add(Wave wave) {
    servers.addAll(wave.servers().value());
    timings.addAll(wave.timings().value());
  }

  RunReport.Exchange report(ExchangeChoice choice) {
    return new RunReport.Exchange(
        choice.mode(), choice.reason(), choice.isService() ? layers() : List.of());
  }

  private List<RunReport.ServiceLayer> layers() {
    TreeMap<Integer, long[]> byLayer =
        new TreeMap<>(); // compute, wait, busy, idle, queue, req, comp
    for (OwnerTiming t : timings) {
      long[] a = byLayer.computeIfAbsent(t.layer(), l -> new long[7]);
      a[0] += t.computeNanos();
      a[1] += t.waitNanos();
    }
    for (ServerStats server : servers) {
      for (ServerStats.Layer l : server.layers()) {
        long[] a = byLayer.computeIfAbsent(l.layer(), k -> new long[7]);
        a[2] += l.busyNanos();
        a[3] += l.waitNanos();
        a[4] = Math.max(a[4], l.maxQueueDepth());
        a[5] += l.requests();
        a[6] += l.computations();
      }
    }
    List<RunReport.ServiceLayer> out = new ArrayList<>();
    byLayer.forEach(
        (layer, a) ->
            out.add(
                new RunReport.ServiceLayer(
                    layer,
                    a[0] / 1e9,
                    a[1] / 1e9,
                    a[2] + a[3] == 0 ? 0 : (double) a[2] / (a[2] + a[3]),
                    (int) a[4],
                    a[5],
                    a[6])));
    return out;
  }
}
