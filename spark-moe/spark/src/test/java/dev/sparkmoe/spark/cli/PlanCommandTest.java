package dev.sparkmoe.spark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code moe plan} and the subcommands of {@code moe}, without Spark. */
class PlanCommandTest {
  private record Result(int code, String out, String err) {}

  private static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        MoeCli.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void printsTheComparisonTableAndTheReferenceExperiment() {
    Result result =
        run("plan", "--cluster", "h100-8x8", "--model", "seed-4x16", "--tokens", "1024");

    assertThat(result.code).as(result.err).isZero();
    assertThat(result.out)
        .contains("Cluster: h100-8x8: 8 x 8 h100-sxm")
        .contains("datasheet (no kernel calibration)")
        .containsPattern("(?m)^one-per-gpu +64 +1 +4 ")
        .containsPattern("(?m)^tp8-pp2 +16 +4 +2 ")
        .contains("Recommended: one-per-gpu")
        .containsPattern("published tokens/s +450,000 +120,000 +3\\.75")
        .containsPattern("published ms/token +2\\.200 +8\\.300 +3\\.77")
        .contains("model ms/token")
        .contains("Ratio one-per-GPU over colocated: published 3.75");
  }

  @Test
  void pricesTheReferenceUnderEachTransport(@TempDir Path dir) throws Exception {
    // Round trips of 2,000 and 2,000,000 bytes each way.
    Path calibration = dir.resolve("transport.csv");
    Files.writeString(
        calibration,
        "device,kernel,dtype,tokens,hidden,ffn,seconds\n"
            + "loopback-tcp,round-trip,f16,1,1000,0,41e-6\n"
            + "loopback-tcp,round-trip,f16,1000,1000,0,1040e-6\n");

    Result result =
        run("plan", "--cluster", "h100-8x8", "--moe-only", "--calibration", calibration.toString());

    assertThat(result.code).as(result.err).isZero();
    assertThat(result.out)
        .contains("the published 2.2 ms per output token over 4 layers is 550 µs per layer")
        .containsPattern("(?m)^links +[0-9.]+ \\([0-9.+]+\\) +[0-9.]+ \\([0-9.+]+\\) +yes$")
        .containsPattern("(?m)^host-tcp +[0-9.]+ \\(")
        .containsPattern("(?m)^gpu-all-to-all +[0-9.]+ \\(")
        .contains(
            "host-tcp: host-staged TCP, round trips 41.0 µs at 2 KB, 1040.0 µs at 1953 KB ("
                + calibration)
        .containsPattern("One expert per GPU reaches 550 µs per layer over: links \\([0-9]+ µs\\)");
  }

  @Test
  void pricesTheLocalCpuClusterWithoutTheGpuReference() {
    Result result = run("plan", "--cluster", "cpu-local:4", "--tokens", "16384", "--moe-only");

    assertThat(result.code).as(result.err).isZero();
    assertThat(result.out)
        .containsPattern("(?m)^placement +slots +experts/slot +tokens/s +seconds +bottleneck$")
        .containsPattern("(?m)^one-per-gpu +64 +1 ")
        .contains("4 executors of one core on 2 shared cores")
        .contains("4-byte weights")
        .contains("pure MoE layers")
        .doesNotContain("Reference experiment");
  }

  @Test
  void printsPerLayerCostsOnRequest() {
    Result result = run("plan", "--cluster", "h100-2x8", "--model", "tiny", "--per-layer");

    assertThat(result.code).as(result.err).isZero();
    assertThat(result.out)
        .containsPattern("(?m)^one-per-gpu:$")
        .containsPattern("(?m)^  layer 1: owner [0-9.e-]+ s, dispatch [0-9.e-]+ s, experts ");
  }

  @Test
  void saysWhenTheClusterIsTooSmallForTheReference() {
    Result result = run("plan", "--cluster", "h200-2x8", "--model", "seed-4x16");

    assertThat(result.code).as(result.err).isZero();
    assertThat(result.out)
        .contains("Reference experiment: needs 64 GPUs for one expert per GPU; h200-2x8 has 16.");
  }

  @Test
  void rejectsAnUnknownClusterInOneLine() {
    Result result = run("plan", "--cluster", "tpu-v5");

    assertThat(result.code).isEqualTo(1);
    assertThat(result.err.strip())
        .isEqualTo(
            "moe: Invalid cluster: tpu-v5 (expected: h100-NxG, h200-NxG such as h100-8x8, or"
                + " cpu-local[:N])");
  }

  @Test
  void theProductsCliHasNoBenchmarks() {
    assertThat(
            MoeCli.commandLine(
                    new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()))
                .getSubcommands()
                .keySet())
        .as("bench moved to spark-moe/benchmarks/bin/bench")
        .containsExactly("generate-model", "generate-tokens", "infer", "plan", "help");

    Result result = run("bench");

    assertThat(result.code).isEqualTo(2);
    assertThat(result.err).startsWith("Unmatched argument at index 0: 'bench'");
  }
}
