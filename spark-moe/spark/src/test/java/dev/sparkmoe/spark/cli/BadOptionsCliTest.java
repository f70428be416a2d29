package dev.sparkmoe.spark.cli;

import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.spark.SparkTestSession;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code moe infer} with bad options: each fails before any inference task with exit code 1, one
 * line naming the option value and what is allowed, and no output.
 */
class BadOptionsCliTest {
  @TempDir static Path temp;
  private static SparkSession spark;
  private static Path model;
  private static Path input;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.start("BadOptionsCliTest");
    model = ModelFixtures.tinyMixtral(temp.resolve("model"));
    input = temp.resolve("tokens.json");
    BrokenModels.writeString(input, "{\"id\": 1, \"tokens\": [5, 6, 7]}\n");
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  @Test
  void unknownPlacement() {
    infer("round-robin", "--placement", "round-robin")
        .assertFailed(
            "Invalid placement: round-robin (expected: one of one-per-gpu, shared-layers,"
                + " colocate:K with K >= 1, in-task, auto)",
            out("round-robin"));
    infer("colocate-x", "--placement", "colocate:x")
        .assertFailed(
            "Invalid placement: colocate:x (expected: one of one-per-gpu, shared-layers,"
                + " colocate:K with K >= 1, in-task, auto)",
            out("colocate-x"));
  }

  @Test
  void loadBalancingOptions() {
    infer("capacity", "--capacity-factor", "0")
        .assertFailed(
            "Invalid capacity factor: 0.0 (expected: a positive number; unset for dropless)",
            out("capacity"));
    infer("in-task-capacity", "--placement", "in-task", "--capacity-factor", "1.25")
        .assertFailed(
            "Invalid capacity-factor with placement in-task: 1.25 (expected: unset;"
                + " in-task computes every routed token, use shared-layers, one-per-gpu or"
                + " colocate:K for expert capacity)",
            out("in-task-capacity"));
    infer("replicas", "--replicas", "lots")
        .assertFailed(
            "Invalid replicas: lots (expected: none, auto or a number of extra replicas per layer"
                + " >= 0)",
            out("replicas"));
    infer("dp", "--placement", "one-per-gpu", "--slots", "16", "--data-parallel", "2")
        .assertFailed(
            "Cannot place data-parallel 2 with one-per-gpu on 16 slots: one copy of the experts"
                + " needs 16 slots, 2 need 32. Add executors or GPUs, set spark.moe.slots"
                + " (--slots), lower spark.moe.data-parallel (--data-parallel), or choose a"
                + " placement with more experts per slot",
            out("dp"));
  }

  @Test
  void unknownBackend() {
    infer("gpu", "--backend", "gpu")
        .assertFailedStartingWith(
            "Invalid backend: gpu (expected: one of ", out("gpu"), "cpu", "auto)");
  }

  @Test
  void unknownActivationDtype() {
    infer("f8", "--activation-dtype", "f8")
        .assertFailed("Invalid activation dtype: f8 (expected: one of f32, f16, bf16)", out("f8"));
  }

  @Test
  void unknownComputeDtype() {
    infer("fp8", "--compute-dtype", "fp8")
        .assertFailed("Invalid compute dtype: fp8 (expected: one of f32, bf16)", out("fp8"));
  }

  @Test
  void moreExpertsThanSlotsForOnePerGpu() {
    // The tiny model has 2 layers × 8 experts: one-per-gpu needs 16 slots, and local[2] has 2.
    infer("one-per-gpu", "--placement", "one-per-gpu")
        .assertFailedStartingWith(
            "Cannot place experts with one-per-gpu: it needs ",
            out("one-per-gpu"),
            "--slots",
            "shared-layers");
    infer("one-per-gpu-15", "--placement", "one-per-gpu", "--slots", "15")
        .assertFailedStartingWith(
            "Cannot place experts with one-per-gpu: it needs ",
            out("one-per-gpu-15"),
            "15 slots",
            "--slots");
  }

  @Test
  void slotsAndPartitionsMustBePositive() {
    infer("zero-slots", "--slots", "0")
        .assertFailed("Invalid slots: 0 (expected: a positive integer)", out("zero-slots"));
    infer("zero-partitions", "--partitions", "0")
        .assertFailed(
            "Invalid partitions: 0 (expected: a positive integer)", out("zero-partitions"));
  }

  @Test
  void unknownTableFormat() {
    infer("csv", "--output-format", "csv")
        .assertFailed("Invalid format: csv (expected: one of parquet, json)", out("csv"));
  }

  private static CliRun infer(String name, String... options) {
    return CliRun.infer(model, input, out(name), options);
  }

  private static Path out(String name) {
    return temp.resolve("out-" + name);
  }
}
