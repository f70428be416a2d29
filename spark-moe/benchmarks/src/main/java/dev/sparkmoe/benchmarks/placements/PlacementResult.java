package dev.sparkmoe.benchmarks.placements;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sparkmoe.core.IoErrors;
import dev.sparkmoe.core.plan.SparkCosts;
import dev.sparkmoe.spark.pipeline.RunReport;
import java.io.IOException;
import java.nio.file.Path;

/**
 * What one child JVM of {@code bench placements} measured for one placement, written as JSON for
 * the parent.
 *
 * @param placement the placement's CLI name
 * @param slots expert slots
 * @param executors executor JVMs (one core each)
 * @param costs Spark's costs measured on this cluster before the run
 * @param sampleTokensPerExpert routing load observed on the warm-up sample, per layer and expert
 * @param report the measured run
 * @param loadBefore the machine's 1-minute load average before the measured run
 * @param loadAfter the same after it
 */
@SuppressWarnings("ArrayRecordComponent") // a report value, written once and read once
public record PlacementResult(
    String placement,
    int slots,
    int executors,
    SparkCosts costs,
    long[][] sampleTokensPerExpert,
    RunReport report,
    double loadBefore,
    double loadAfter) {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  void write(Path file) {
    try {
      JSON.writeValue(file.toFile(), this);
    } catch (IOException e) {
      throw IoErrors.cannot("write placement result " + file, e);
    }
  }

  static PlacementResult read(Path file) {
    try {
      return JSON.readValue(file.toFile(), PlacementResult.class);
    } catch (IOException e) {
      throw IoErrors.cannot("read placement result " + file, e);
    }
  }
}
