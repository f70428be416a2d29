package dev.sparkmoe.benchmarks.placements;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.sparkmoe.core.plan.ClusterPresets;
import dev.sparkmoe.core.plan.CostModel;
import dev.sparkmoe.core.plan.KernelCalibration;
import dev.sparkmoe.core.plan.ModelShape;
import dev.sparkmoe.core.plan.SparkCosts;
import dev.sparkmoe.spark.pipeline.RunReport;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Predictions beside measurements, from made-up results: no cluster. */
class PlacementComparisonTest {
  private final SplittableRandom random = new SplittableRandom();
  private final ModelShape model = ModelShape.preset("tiny");

  @Test
  void predictsEachPlacementAndComparesTimeAndRanking(@TempDir Path dir) throws Exception {
    List<PlacementResult> results =
        List.of(
            result("one-per-gpu", 16, 3.0),
            result("shared-layers", 2, 2.0),
            result("colocate:4", 4, 5.0));
    KernelCalibration kernels =
        KernelCalibration.of(
            List.of(
                new KernelCalibration.Row(
                    ClusterPresets.CPU_CORE, "expert-ffn", "f32", 1, 64, 96, 1e-5),
                new KernelCalibration.Row(
                    ClusterPresets.CPU_CORE, "expert-ffn", "f32", 1024, 64, 96, 2e-3)),
            "test");

    PlacementComparison comparison =
        PlacementComparison.of(results, model.withWeightBytes(4), new CostModel(kernels), 32, 4);

    assertThat(comparison.entries()).hasSize(3);
    for (PlacementComparison.Entry e : comparison.entries()) {
      assertThat(e.prediction().layout()).isEqualTo(e.result().placement());
      assertThat(e.error())
          .isCloseTo(e.predictedSeconds() / e.measuredSeconds() - 1, within(1e-12));
      assertThat(e.bytesShuffled()).isEqualTo(2 * 2 * 1000L);
    }
    assertThat(comparison.order(PlacementComparison.Entry::measuredSeconds))
        .containsExactly("shared-layers", "one-per-gpu", "colocate:4");
    assertThat(comparison.rankingMatches())
        .isEqualTo(
            comparison
                .order(PlacementComparison.Entry::predictedSeconds)
                .equals(List.of("shared-layers", "one-per-gpu", "colocate:4")));
    assertThat(comparison.table()).contains("one-per-gpu").contains("colocate:4").contains("error");
    assertThat(comparison.details()).contains("layer 1:").contains("tokens per slot [");

    double[] stages =
        results.stream().mapToDouble(r -> r.costs().stageSeconds()).sorted().toArray();
    assertThat(PlacementComparison.medianCosts(results).stageSeconds())
        .as("median of three probes")
        .isEqualTo(stages[1]);

    List<Path> plots = PlacementPlots.write(comparison, dir, "test");
    for (Path plot : plots) {
      BufferedImage image = ImageIO.read(plot.toFile());
      assertThat(image).as("%s is a PNG", plot).isNotNull();
      assertThat(image.getWidth()).isEqualTo(900);
    }
  }

  private PlacementResult result(String placement, int slots, double wallSeconds) {
    long tokens = 4096;
    List<RunReport.Layer> layers = new ArrayList<>();
    long[][] sample = new long[model.layers()][model.experts()];
    for (int layer = 0; layer < model.layers(); layer++) {
      long[] perExpert = new long[model.experts()];
      for (int e = 0; e < perExpert.length; e++) {
        perExpert[e] = 1 + random.nextInt(2000);
        sample[layer][e] = 1 + random.nextInt(500);
      }
      List<RunReport.SlotRun> slotRuns =
          List.of(new RunReport.SlotRun(layer, 8192, "0", true, null, 0.5, 0.01));
      layers.add(
          new RunReport.Layer(
              layer,
              wallSeconds / 2,
              perExpert,
              slotRuns,
              0.8,
              1000,
              1000,
              900,
              0.1,
              0.5,
              0.01,
              0.02));
    }
    RunReport report =
        new RunReport(
            "m",
            placement,
            "cpu",
            "f32",
            2,
            List.of("a", "b"),
            128,
            tokens,
            /* skippedRows= */ 0,
            wallSeconds,
            tokens / wallSeconds,
            layers,
            List.of(),
            /* memory= */ null,
            /* loadBalance= */ null,
            "asked for: placement " + placement,
            /* loadSeconds= */ 0.2,
            /* loadBlockedSeconds= */ 0.1,
            /* exchange= */ null,
            /* generation= */ null);
    return new PlacementResult(
        placement,
        slots,
        2,
        new SparkCosts(
            2, random.nextDouble() * 0.02, random.nextDouble() * 0.5, random.nextDouble() * 1e-8),
        sample,
        report,
        1.0,
        1.2);
  }
}
