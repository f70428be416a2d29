package dev.sparkmoe.spark.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/** Builds the {@link RunReport} on the driver from task statistics and layer timings. */
final class ReportBuilder {
  private static final String DRIVER = "driver";

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
      RunReport.LoadBalance loadBalance,
      String placementReason) {
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
              s.expertWaitNanos() / 1e9,
              s.expertLoadNanos() / 1e9));
    }
    double seconds = wallNanos / 1e9;
    String backendDescription =
        stats.stream()
            .filter(s -> s instanceof TaskStat.Expert)
            .map(s -> ((TaskStat.Expert) s).backend())
            .findFirst()
            .orElse(manifest.backend());
    List<RunReport.Executor> executors = executors(stats);
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
        executors,
        /* memory= */ null, // PipelineRunner adds it, from the waves and the tasks' heap marks
        loadBalance,
        placementReason,
        executors.stream().mapToDouble(RunReport.Executor::loadSeconds).sum(),
        layers.stream().mapToDouble(RunReport.Layer::loadSeconds).sum(),

        /* exchange= */ null, // PipelineRunner adds it
        /* generation= */ null); // PipelineRunner adds it for kind generate
  }

  private static List<RunReport.SlotRun> slotRuns(
      LayerSummary summary, List<String> slotLocations) {
    return summary.expertTasks().stream()
        .map(
            t ->
                new RunReport.SlotRun(
                    t.slot(),
                    t.stats().tokens(),
                    t.site().executorId(),
                    slotLocations.get(t.slot()).endsWith("_" + t.site().executorId()),
                    t.site().gpuAddress(),
                    t.stats().computeNanos() / 1e9,
                    t.stats().waitNanos() / 1e9))
        .toList();
  }

  private static long skippedRows(List<TaskStat> stats) {
    return TaskStats.owners(stats, 0).stream().mapToLong(s -> s.stats().skippedRows()).sum();
  }

  private static List<RunReport.Executor> executors(List<TaskStat> stats) {
    Map<String, Integer> loads = new TreeMap<>();
    Map<String, Long> loadNanos = new TreeMap<>();
    Map<String, TreeSet<String>> gpus = new TreeMap<>();
    for (TaskStat stat : stats) {
      TaskSite site = stat.site();
      loads.merge(site.executorId(), site.expertLoads(), Math::max);
      loadNanos.merge(site.executorId(), site.expertLoadNanos(), Math::max);
      TreeSet<String> addresses = gpus.computeIfAbsent(site.executorId(), id -> new TreeSet<>());
      if (site.gpuAddress() != null) {
        addresses.add(site.gpuAddress());
      }
    }
    List<RunReport.Executor> out = new ArrayList<>();
    loads.forEach(
        (id, count) ->
            out.add(
                new RunReport.Executor(
                    id, count, List.copyOf(gpus.get(id)), loadNanos.get(id) / 1e9)));
    return out;
  }

  /**
   * The waves and every JVM's heap high-water marks: each executor's largest over the marks its
   * tasks sent, and the driver's own as {@code driver} (in local mode the driver is the executor).
   */
  static RunReport.Memory memory(List<TaskStat> stats, int waves, long waveRows) {
    Map<String, HeapMarks> byJvm = new TreeMap<>();
    for (TaskStat stat : stats) {
      byJvm.merge(stat.site().executorId(), stat.site().heap(), HeapMarks::max);
    }
    byJvm.merge(DRIVER, HeapMarks.now(), HeapMarks::max);
    List<RunReport.Heap> jvms = new ArrayList<>();
    byJvm.forEach(
        (id, m) ->
            jvms.add(new RunReport.Heap(id, m.peakBytes(), m.livePeakBytes(), m.maxBytes())));
    return new RunReport.Memory(
        waves,
        waveRows,
        jvms.stream().mapToLong(RunReport.Heap::peakHeapBytes).max().orElse(0),
        jvms.stream().mapToLong(RunReport.Heap::peakLiveHeapBytes).max().orElse(0),
        jvms);
  }
}
