package dev.sparkmoe.spark.pipeline;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Helpers over the task statistics the accumulator gathered. */
final class TaskStats {
  private TaskStats() {}

  /**
   * One statistic per (stage, layer, index): a task that ran twice (a retry, a recomputed
   * partition) reports twice, and the later report wins.
   */
  static List<TaskStat> latest(Collection<TaskStat> stats) {
    Map<String, TaskStat> byTask = new LinkedHashMap<>();
    for (TaskStat stat : stats) {
      byTask.put(stat.stage() + "/" + stat.layer() + "/" + stat.index(), stat);
    }
    return List.copyOf(byTask.values());
  }
}
