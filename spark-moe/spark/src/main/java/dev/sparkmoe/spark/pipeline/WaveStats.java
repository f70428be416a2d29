package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.generate.GenerationStats;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Task statistics and layer times summed over waves: each wave's tasks report under the same {@link
 * TaskStat.Key}s, so a wave's statistics are first reduced to its latest attempts ({@link
 * TaskStats#latest}) and then added to the run's ({@link TaskStat#plus}). Counts, bytes and times
 * add up; expert loads take the largest; where a task ran (executor, GPU) and the backend come from
 * the last wave. Driver side; not thread-safe.
 */
final class WaveStats {
  private final Map<TaskStat.Key, TaskStat> byTask = new LinkedHashMap<>();
  private long[] layerNanos = new long[0];
  private final List<GenerationStats> generation = new ArrayList<>();

  /** Adds one wave's generation statistics, the latest attempt of each partition. */
  void addGeneration(List<InTaskGenerate.Stat> waveStats) {
    Map<Integer, GenerationStats> latest = new LinkedHashMap<>();
    for (InTaskGenerate.Stat stat : waveStats) {
      latest.put(stat.partition(), stat.stats());
    }
    generation.addAll(latest.values());
  }

  /** Every partition's generation statistics over the waves; empty unless kind generate. */
  List<GenerationStats> generation() {
    return List.copyOf(generation);
  }

  /** Adds one wave's statistics (every attempt) and its per-layer times. */
  void add(List<TaskStat> waveStats, List<Long> waveLayerNanos) {
    for (TaskStat stat : TaskStats.latest(waveStats)) {
      byTask.merge(stat.key(), stat, TaskStat::plus);
    }
    layerNanos = Arrays.copyOf(layerNanos, Math.max(layerNanos.length, waveLayerNanos.size()));
    for (int layer = 0; layer < waveLayerNanos.size(); layer++) {
      layerNanos[layer] += waveLayerNanos.get(layer);
    }
  }

  /** One statistic per task key, summed over the waves. */
  List<TaskStat> stats() {
    return List.copyOf(byTask.values());
  }

  /** Driver-side time per layer, summed over the waves. */
  List<Long> layerNanos() {
    List<Long> out = new ArrayList<>(layerNanos.length);
    for (long nanos : layerNanos) {
      out.add(nanos);
    }
    return out;
  }
}
