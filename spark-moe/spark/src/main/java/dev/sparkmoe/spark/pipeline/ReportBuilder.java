package dev.sparkmoe.spark.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/** Builds the {@link RunReport} on the driver from task statistics and layer timings. */
final class ReportBuilder {
  private ReportBuilder() {}

  static RunReport build(
      PipelineManifest manifest,
      List<String> slotLocations,
      long rows,
      long tokens,
      long wallNanos,
      List<Long> layerNanos,
      List<TaskStat> all,
      int topK,
      int hidden,
      RunReport.LoadBalance loadBalance) {
    List<TaskStat> stats = TaskStats.latest(all);
    List<RunReport.Layer> layers = new ArrayList<>();
    for (int layer = 0; layer < layerNanos.size(); layer++) {
      LayerSummary s = LayerSummary.of(layer, layerNanos.get(layer), stats);
      long minimum = (long) topK * tokens * hidden * manifest.activationDtype().sizeBytes();
      layers.add(
          new RunReport.Layer(
              layer,
              s.wallNanos() / 1e9,
              s.tokensPerExpert(),
              slotRuns(s, slotLocations),
              s.balance(),
              s.bytesDispatched(),
              s.bytesCombined(),
              minimum,
              s.ownerComputeNanos() / 1e9,
              s.expertComputeNanos() / 1e9,
              s.expertWaitNanos() / 1e9));
    }
    double seconds = wallNanos / 1e9;
    String backendDescription =
        stats.stream()
            .filter(s -> s.stage().equals(TaskStat.EXPERT))
            .map(TaskStat::backend)
            .findFirst()
            .orElse(manifest.backend());
    return new RunReport(
        manifest.modelPath(),
        manifest.placement().toString(),
        backendDescription,
        manifest.activationDtype().cliName(),
        manifest.partitions(),
        slotLocations,
        rows,
        tokens,
        skippedRows(stats),
        seconds,
        seconds > 0 ? tokens / seconds : 0,
        layers,
        executors(stats),
        /* memory= */ null, // PipelineRunner adds it, from the waves and the executors' heaps
        loadBalance);
  }

  private static List<RunReport.SlotRun> slotRuns(
      LayerSummary summary, List<String> slotLocations) {
    return summary.expertTasks().stream()
        .map(
            t ->
                new RunReport.SlotRun(
                    t.index(),
                    t.tokens(),
                    t.executorId(),
                    slotLocations.get(t.index()).endsWith("_" + t.executorId()),
                    t.gpuAddress(),
                    t.computeNanos() / 1e9,
                    t.waitNanos() / 1e9))
        .toList();
  }

  private static long skippedRows(List<TaskStat> stats) {
    return stats.stream()
        .filter(s -> s.stage().equals(TaskStat.OWNER) && s.layer() == 0)
        .mapToLong(TaskStat::skippedRows)
        .sum();
  }

  private static List<RunReport.Executor> executors(List<TaskStat> stats) {
    Map<String, Integer> loads = new TreeMap<>();
    Map<String, TreeSet<String>> gpus = new TreeMap<>();
    for (TaskStat stat : stats) {
      loads.merge(stat.executorId(), stat.expertLoads(), Math::max);
      TreeSet<String> addresses = gpus.computeIfAbsent(stat.executorId(), id -> new TreeSet<>());
      if (stat.gpuAddress() != null) {
        addresses.add(stat.gpuAddress());
      }
    }
    List<RunReport.Executor> out = new ArrayList<>();
    loads.forEach(
        (id, count) -> out.add(new RunReport.Executor(id, count, List.copyOf(gpus.get(id)))));
    return out;
  }
}
