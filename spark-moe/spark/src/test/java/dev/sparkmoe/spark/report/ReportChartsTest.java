package dev.sparkmoe.spark.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.sparkmoe.spark.pipeline.RunReport;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.XYChart;

class ReportChartsTest {
  private final long seed = new Random().nextLong();
  private final Random random = new Random(seed);

  @Test
  void heatMapHoldsEveryExpertsTokensInEveryLayer() {
    RunReport report = RunReports.random(random, 3, 8, 4, false);

    HeatMapChart chart = ReportCharts.expertHeatMapChart(report);

    List<? extends Number[]> cells = chart.getHeatMapSeries().getHeatData();
    assertThat(cells).as("seed %d", seed).hasSize(3 * 8);
    for (Number[] cell : cells) {
      int expert = cell[0].intValue();
      int layer = cell[1].intValue();
      assertThat(cell[2].longValue())
          .as("expert %d, layer %d (seed %d)", expert, layer, seed)
          .isEqualTo(report.layers().get(layer).tokensPerExpert()[expert]);
    }
    long hottest =
        report.layers().stream()
            .flatMapToLong(l -> java.util.Arrays.stream(l.tokensPerExpert()))
            .max()
            .orElseThrow();
    assertThat(chart.getStyler().getMax()).isEqualTo(hottest);
  }

  @Test
  void slotLoadStacksEachLayersTokensOnItsOwnSlots() {
    RunReport report = RunReports.random(random, 2, 4, 4, true);

    CategoryChart chart = ReportCharts.slotLoadChart(report);

    // one-per-gpu: layer 0 on slots 0-3, layer 1 on slots 4-7; each layer's bars are 0 elsewhere.
    for (RunReport.Layer layer : report.layers()) {
      var series = chart.getSeriesMap().get("layer " + layer.layer());
      assertThat(series.getXData()).hasSize(8);
      List<?> ys = List.copyOf(series.getYData());
      for (int slot = 0; slot < 8; slot++) {
        long expected = 0;
        for (RunReport.SlotRun run : layer.slots()) {
          if (run.slot() == slot) {
            expected += run.tokens();
          }
        }
        assertThat(((Number) ys.get(slot)).longValue())
            .as("layer %d, slot %d (seed %d)", layer.layer(), slot, seed)
            .isEqualTo(expected);
      }
    }
  }

  @Test
  void throughputStepsAreTokensOverEachLayersWallClockOnTheRunsTimeline() {
    RunReport report = RunReports.random(random, 4, 8, 4, false);

    XYChart chart = ReportCharts.throughputChart(report);

    var steps = chart.getSeriesMap().get("per layer");
    double[] x = steps.getXData();
    double[] y = steps.getYData();
    double start = 0;
    for (int l = 0; l < 4; l++) {
      RunReport.Layer layer = report.layers().get(l);
      double rate = report.tokens() / layer.wallSeconds();
      assertThat(x[2 * l]).as("layer %d start", l).isCloseTo(start, within(1e-12));
      assertThat(x[2 * l + 1])
          .as("layer %d end", l)
          .isCloseTo(start + layer.wallSeconds(), within(1e-12));
      assertThat(y[2 * l])
          .as("layer %d rate (seed %d)", l, seed)
          .isCloseTo(rate, within(rate * 1e-12));
      assertThat(y[2 * l + 1]).isEqualTo(y[2 * l]);
      start += layer.wallSeconds();
    }
    assertThat(chart.getSeriesMap().get("whole run (with setup and output)").getYData())
        .containsExactly(report.tokensPerSecond(), report.tokensPerSecond());
  }

  @Test
  void aRunWhoseExpertsGotNoTokensStillDraws() {
    RunReport base = RunReports.random(random, 1, 4, 2, false);
    RunReport.Layer layer = base.layers().get(0);
    RunReport idle =
        RunReports.copy(
            base,
            base.model(),
            0,
            0,
            1.0,
            List.of(
                new RunReport.Layer(0, 0.0, new long[4], layer.slots(), 1.0, 0, 0, 0, 0, 0, 0, 0)),
            base.executors());

    List<ChartImage> charts = ReportCharts.all(idle);

    assertThat(charts).hasSize(5).allSatisfy(c -> assertThat(c.png()).isNotEmpty());
    assertThat(ReportCharts.throughputChart(idle).getSeriesMap().get("per layer").getYData())
        .containsOnly(0.0);
  }
}
