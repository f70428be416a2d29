package dev.sparkmoe.spark.report;

import dev.sparkmoe.spark.pipeline.RunReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Run reports with fresh random loads and timings, shaped like real runs. */
public final class RunReports {
  private RunReports() {}

  /**
   * A run of {@code layers} layers of {@code experts} experts with top-2 routing over {@code slots}
   * slots; under {@code one-per-gpu} each layer has its own slots, else all layers share them
   * (expert e on slot e mod slots).
   */
  public static RunReport random(
      Random random, int layers, int experts, int slots, boolean onePerGpu) {
    long tokens = 500 + random.nextInt(5000);
    List<RunReport.Layer> out = new ArrayList<>();
    for (int l = 0; l < layers; l++) {
      long[] perExpert = split(random, 2 * tokens, experts);
      List<RunReport.SlotRun> runs = new ArrayList<>();
      int slotsPerLayer = onePerGpu ? experts : slots;
      long[] perSlot = new long[slotsPerLayer];
      for (int e = 0; e < experts; e++) {
        perSlot[e % slotsPerLayer] += perExpert[e];
      }
      for (int s = 0; s < slotsPerLayer; s++) {
        int slot = onePerGpu ? l * experts + s : s;
        runs.add(
            new RunReport.SlotRun(
                slot,
                perSlot[s],
                String.valueOf(slot % 2),
                random.nextInt(8) > 0,
                null,
                random.nextDouble(),
                random.nextDouble() / 10));
      }
      out.add(
          new RunReport.Layer(
              l,
              0.1 + random.nextDouble(),
              perExpert,
              runs,
              0.5 + random.nextDouble() / 2,
              1_000_000L + random.nextInt(1_000_000),
              1_000_000L + random.nextInt(1_000_000),
              900_000L,
              random.nextDouble(),
              random.nextDouble(),
              random.nextDouble() / 10,
              random.nextDouble() / 10));
    }
    double wall = 2 + random.nextDouble() * 5;
    return new RunReport(
        "/models/random",
        "shared-layers (" + slots + " slots)",
        "cpu (OpenBLAS)",
        "f32",
        2,
        List.of("executor_127.0.0.1_0", "executor_127.0.0.1_1"),
        100,
        tokens,
        random.nextInt(3),
        wall,
        tokens / wall,
        out,
        List.of(
            new RunReport.Executor("0", experts / 2, List.of("0"), random.nextDouble()),
            new RunReport.Executor("1", experts - experts / 2, List.of("1"), random.nextDouble())),
        new RunReport.Memory(1, 0, 1L << 30, 1L << 29, List.of()),
        /* loadBalance= */ null,
        "asked for: placement shared-layers",
        1 + random.nextDouble(),
        random.nextDouble(),
        new RunReport.Exchange("shuffle", "spark.moe.mode is shuffle", List.of()),
        /* generation= */ null);
  }

  /** {@code base} with another model path, size, timing, layers and executors. */
  public static RunReport copy(
      RunReport base,
      String model,
      long rows,
      long tokens,
      double wallSeconds,
      List<RunReport.Layer> layers,
      List<RunReport.Executor> executors) {
    return new RunReport(
        model,
        base.placement(),
        base.backend(),
        base.activationDtype(),
        base.partitions(),
        base.slotLocations(),
        rows,
        tokens,
        base.skippedRows(),
        wallSeconds,
        wallSeconds > 0 ? tokens / wallSeconds : 0,
        layers,
        executors,
        base.memory(),
        base.loadBalance(),
        base.placementReason(),
        base.loadSeconds(),
        base.loadBlockedSeconds(),
        base.exchange(),
        base.generation());
  }

  private static long[] split(Random random, long total, int parts) {
    double[] weights = new double[parts];
    double sum = 0;
    for (int i = 0; i < parts; i++) {
      weights[i] = Math.pow(random.nextDouble(), 2) + 0.05;
      sum += weights[i];
    }
    long[] out = new long[parts];
    long given = 0;
    for (int i = 0; i < parts - 1; i++) {
      out[i] = (long) (total * weights[i] / sum);
      given += out[i];
    }
    out[parts - 1] = total - given;
    return out;
  }
}
