package dev.sparkmoe.benchmarks.placements;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.benchmarks.cli.BenchCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench placements} end to end on the tiny model: one placement in a child JVM with a
 * 2-executor local-cluster, the kernels measured here, results, plots and summary written.
 */
class BenchPlacementsCommandTest {
  @Test
  void runsAPlacementOnARealClusterAndComparesWithTheCostModel(@TempDir Path out)
      throws java.io.IOException {
    StringWriter stdout = new StringWriter();
    StringWriter stderr = new StringWriter();

    int code =
        BenchCommand.commandLine(new PrintWriter(stdout, true), new PrintWriter(stderr, true))
            .execute(
                "placements",
                "--preset",
                "tiny",
                "--tokens",
                "512",
                "--sample-tokens",
                "256",
                "--executors",
                "2",
                "--executor-memory-mb",
                "512",
                "--sequence-length",
                "32",
                "--placements",
                "colocate:4",
                "--out",
                out.toString());

    assertThat(code).as(stderr.toString()).isZero();
    PlacementResult result = PlacementResult.read(out.resolve("colocate-4.json"));
    assertThat(result.executors()).isEqualTo(2);
    assertThat(result.slots()).as("2 layers x 8 experts / 4").isEqualTo(4);
    assertThat(result.report().tokens()).isEqualTo(512);
    assertThat(result.report().slotLocations()).hasSize(4);
    assertThat(result.sampleTokensPerExpert()).hasDimensions(2, 8);
    assertThat(result.costs().stageSeconds()).isPositive();
    assertThat(stdout.toString())
        .contains("Running colocate:4 on 4 slots over 2 executors")
        .containsPattern("(?m)^colocate:4 +4 ")
        .contains("Ranking: measured [colocate:4]");
    for (String file :
        new String[] {
          "calibration.csv", "tokens-per-second.png", "layer-times.png", "summary.md"
        }) {
      assertThat(Files.isRegularFile(out.resolve(file))).as(file).isTrue();
    }
    assertThat(Files.readString(out.resolve("summary.md")))
        .as("the command as typed, once")
        .startsWith("`bench placements --preset tiny --tokens 512 ");
  }
}
