package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.balance.RoutingStats;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Helpers over the task statistics the accumulator gathered. */
final class TaskStats {
  private TaskStats() {}

  /**
   * One statistic per {@link TaskStat.Key}: a task that ran twice (a retry, a recomputed partition)
   * reports twice, and the later report wins.
   */
  static List<TaskStat> latest(Collection<TaskStat> stats) {
    Map<TaskStat.Key, TaskStat> byTask = new LinkedHashMap<>();
    for (TaskStat stat : stats) {
      byTask.put(stat.key(), stat);
    }
    return List.copyOf(byTask.values());
  }

  /** The owner tasks' statistics of {@code layer}. */
  static List<TaskStat.Owner> owners(Collection<TaskStat> stats, int layer) {
    return stats.stream()
        .filter(s -> s instanceof TaskStat.Owner && s.layer() == layer)
        .map(s -> (TaskStat.Owner) s)
        .toList();
  }

  /** The expert tasks' statistics of {@code layer}, by slot. */
  static List<TaskStat.Expert> experts(Collection<TaskStat> stats, int layer) {
    return stats.stream()
        .filter(s -> s instanceof TaskStat.Expert && s.layer() == layer)
        .map(s -> (TaskStat.Expert) s)
        .sorted(java.util.Comparator.comparingInt(TaskStat.Expert::slot))
        .toList();
  }

  /** Tokens in the input: what the owners routed into layer 0, each task's latest attempt. */
  static long inputTokens(Collection<TaskStat> stats) {
    return owners(latest(stats), 0).stream().mapToLong(s -> s.stats().tokens()).sum();
  }

  /** The tokens, and tokens per (layer, expert), that the tasks counted. */
  static RoutingStats measuredLoad(Collection<TaskStat> stats, int layers, int experts) {
    RoutingStats load = RoutingStats.empty(layers, experts);
    for (TaskStat stat : stats) {
      if (stat instanceof TaskStat.Expert e && e.stats().tokensPerExpert().length > 0) {
        load = load.withLoad(e.layer(), e.stats().tokensPerExpert());
      } else if (stat instanceof TaskStat.Owner o && o.layer() == 0) {
        load = load.withInput(0, o.stats().tokens());
      }
    }
    return load;
  }
}
