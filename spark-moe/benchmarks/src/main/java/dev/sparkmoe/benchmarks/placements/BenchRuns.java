package dev.sparkmoe.benchmarks.placements;

import dev.sparkmoe.core.IoErrors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs placements one at a time, each in a child JVM ({@link PlacementRun}) with its own {@code
 * local-cluster}, and reads back what they measured. Logs and results go to the output folder.
 */
public final class BenchRuns {
  private final Path out;
  private final Path model;
  private final int executors;
  private final int executorMemoryMb;
  private final int partitions;
  private final int sequenceLength;
  private final long timeoutMinutes;

  public BenchRuns(
      Path out,
      Path model,
      int executors,
      int executorMemoryMb,
      int partitions,
      int sequenceLength,
      long timeoutMinutes) {
    this.out = out.toAbsolutePath();
    this.model = model;
    this.executors = executors;
    this.executorMemoryMb = executorMemoryMb;
    this.partitions = partitions;
    this.sequenceLength = sequenceLength;
    this.timeoutMinutes = timeoutMinutes;
  }

  /**
   * Runs {@code placement} on {@code slots} slots: a warm-up of {@code sampleTokens}, then the run.
   */
  public PlacementResult run(String placement, int slots, long tokens, long sampleTokens) {
    String name = placement.replace(':', '-');
    Path result = out.resolve(name + ".json");
    try {
      Files.createDirectories(out);
      Files.deleteIfExists(result);
    } catch (IOException e) {
      throw IoErrors.cannot("prepare " + result + " in " + out, e);
    }
    List<String> args =
        List.of(
            "--model", model.toString(),
            "--placement", placement,
            "--slots", Integer.toString(slots),
            "--executors", Integer.toString(executors),
            "--executor-memory-mb", Integer.toString(executorMemoryMb),
            "--partitions", Integer.toString(partitions),
            "--tokens", Long.toString(tokens),
            "--sample-tokens", Long.toString(sampleTokens),
            "--sequence-length", Integer.toString(sequenceLength),
            "--result", result.toString());
    ChildJvm.run(
        PlacementRun.class,
        args,
        out.resolve("spark-home"),
        out.resolve(name + ".log"),
        timeoutMinutes);
    return PlacementResult.read(result);
  }

  /** The results an earlier run left in {@code out}, one per placement. */
  public static List<PlacementResult> read(Path out, List<String> placements) {
    return placements.stream()
        .map(p -> PlacementResult.read(out.resolve(p.replace(':', '-') + ".json")))
        .toList();
  }

  /** The machine's 1-minute load average, or -1 where it cannot be read. */
  public static double loadAverage() {
    return PlacementRun.loadAverage();
  }
}
