package dev.sparkmoe.core.service;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The running counts behind {@link ServerStats}. Thread-safe. */
final class ServerCounters {
  private final int slot;
  private final Map<Integer, long[]> byLayer = new TreeMap<>();

  ServerCounters(int slot) {
    this.slot = slot;
  }

  /** Counts one gathered computation of {@code requests} requests. */
  synchronized void computed(
      int layer, int requests, long tokens, long busyNanos, long waitNanos, int queueDepth) {
    long[] c = byLayer.computeIfAbsent(layer, k -> new long[6]);
    c[0] += requests;
    c[1] += tokens;
    c[2]++;
    c[3] += busyNanos;
    c[4] += waitNanos;
    c[5] = Math.max(c[5], queueDepth);
  }

  synchronized ServerStats snapshot() {
    List<ServerStats.Layer> layers = new ArrayList<>(byLayer.size());
    byLayer.forEach(
        (layer, c) ->
            layers.add(new ServerStats.Layer(layer, c[0], c[1], c[2], c[3], c[4], (int) c[5])));
    return new ServerStats(slot, layers);
  }
}
