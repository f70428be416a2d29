package dev.sparkmoe.spark.report;

import dev.sparkmoe.spark.pipeline.RunReport;
import java.awt.Color;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The report's charts, one method each, from a {@link RunReport} with at least one layer. */
final class ReportCharts {
  static final int WIDTH = 960;
  static final int HEIGHT = 420;

  /** Above this many cells the heat map shows colours only, no numbers. */
  private static final int MAX_LABELLED_CELLS = 320;

  /** Above this many slots the slot axis labels are turned on their side. */
  private static final int MAX_FLAT_LABELS = 24;

  private static final Color[] HEAT =
      new Color[] {
        // Light to mid red: the cell values, in black, stay readable on the hottest cells.
        new Color(0xFFF7EC),
        new Color(0xFDD49E),
        new Color(0xFDBB84),
        new Color(0xFC8D59),
        new Color(0xE34A33)
      };

  private ReportCharts() {}

  static List<ChartImage> all(RunReport report) {
    return List.of(
        expertHeatMap(report),
        slotLoad(report),
        stageTimes(report),
        throughput(report),
        traffic(report));
  }

  /** Tokens per expert per layer: experts across, layers down. */
  static ChartImage expertHeatMap(RunReport report) {
    HeatMapChart chart = expertHeatMapChart(report);
    int experts = chart.getHeatMapSeries().getXData().size();
    double mean = (double) report.tokens() * pairsPerToken(report) / Math.max(1, experts);
    return ChartImage.render(
        "Tokens per expert",
        String.format(
            Locale.ROOT,
            "Token-expert pairs each expert computed, per layer. A perfectly even router gives every"
                + " cell about %,.0f; the hottest cell has %,.0f.",
            mean,
            chart.getStyler().getMax()),
        chart);
  }

  static HeatMapChart expertHeatMapChart(RunReport report) {
    List<RunReport.Layer> layers = report.layers();
    int experts = layers.stream().mapToInt(l -> l.tokensPerExpert().length).max().orElse(0);
    int[][] heat = new int[experts][layers.size()];
    long max = 1;
    for (int l = 0; l < layers.size(); l++) {
      long[] tokens = layers.get(l).tokensPerExpert();
      for (int e = 0; e < tokens.length; e++) {
        heat[e][l] = Math.toIntExact(tokens[e]);
        max = Math.max(max, tokens[e]);
      }
    }
    HeatMapChart chart =
        new HeatMapChartBuilder()
            .width(WIDTH)
            .height(Math.max(320, Math.min(HEIGHT + 200, 160 + 56 * layers.size())))
            .title("Tokens per expert per layer")
            .xAxisTitle("expert")
            .yAxisTitle("layer")
            .build();
    chart.getStyler().setRangeColors(HEAT).setMin(0).setMax(max);
    chart.getStyler().setShowValue(experts * layers.size() <= MAX_LABELLED_CELLS);
    chart.getStyler().setHeatMapValueDecimalPattern("#,##0");
    chart.getStyler().setPlotContentSize(1.0).setLegendPosition(Styler.LegendPosition.OutsideE);
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.addSeries("tokens", range(experts), range(layers.size()), heat);
    return chart;
  }

  /** Token-expert pairs per slot, stacked by layer. */
  static ChartImage slotLoad(RunReport report) {
    double worst = report.layers().stream().mapToDouble(l -> l.balance()).min().orElse(1);
    return ChartImage.render(
        "Load per slot",
        String.format(
            Locale.ROOT,
            "Token-expert pairs each slot (one GPU, or one CPU task slot) computed, stacked by layer."
                + " The slowest slot sets a layer's pace: the worst layer's balance (mean over"
                + " busiest slot) is %.2f.",
            worst),
        slotLoadChart(report));
  }

  static CategoryChart slotLoadChart(RunReport report) {
    TreeSet<Integer> slots = new TreeSet<>();
    report.layers().forEach(l -> l.slots().forEach(s -> slots.add(s.slot())));
    List<String> labels = slots.stream().map(String::valueOf).toList();
    CategoryChart chart = categoryChart("Load per slot", "slot", "token-expert pairs");
    chart.getStyler().setStacked(true).setOverlapped(false);
    if (slots.size() > MAX_FLAT_LABELS) {
      chart.getStyler().setXAxisLabelRotation(90);
    }
    for (RunReport.Layer layer : report.layers()) {
      List<Long> tokens = new ArrayList<>();
      for (int slot : slots) {
        tokens.add(
            layer.slots().stream().filter(s -> s.slot() == slot).mapToLong(s -> s.tokens()).sum());
      }
      chart.addSeries("layer " + layer.layer(), labels, tokens);
    }
    return chart;
  }

  /** Task time per stage, per layer, with the layer's wall-clock time. */
  static ChartImage stageTimes(RunReport report) {
    List<String> layers = layerLabels(report);
    CategoryChart chart = categoryChart("Time per stage", "layer", "seconds");
    chart.addSeries(
        "owner: attention + routing", layers, values(report, RunReport.Layer::ownerComputeSeconds));
    chart.addSeries(
        "expert: FFN compute", layers, values(report, RunReport.Layer::expertComputeSeconds));
    chart.addSeries(
        "expert: blocked on input", layers, values(report, RunReport.Layer::expertBlockedSeconds));
    chart
        .addSeries("layer wall clock", layers, values(report, RunReport.Layer::wallSeconds))
        .setFillColor(Color.GRAY);
    return ChartImage.render(
        "Time per stage",
        "Seconds per layer. Stage times are summed over the stage's tasks, which run in parallel,"
            + " so they can exceed the layer's wall clock; the rest of the wall clock is shuffles"
            + " and scheduling.",
        chart);
  }

  /** Tokens per second through each layer, placed on the run's timeline. */
  static ChartImage throughput(RunReport report) {
    return ChartImage.render(
        "Throughput over the run",
        "Every token passes every layer: each step is the input's tokens over the layer's wall"
            + " clock. The dashed line is tokens over the whole run, setup and output included.",
        throughputChart(report));
  }

  static XYChart throughputChart(RunReport report) {
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Throughput over the run")
            .xAxisTitle("seconds since the first layer started")
            .yAxisTitle("tokens / s")
            .build();
    style(chart.getStyler());
    chart.getStyler().setYAxisMin(0.0);
    List<Double> x = new ArrayList<>();
    List<Double> y = new ArrayList<>();
    double t = 0;
    for (RunReport.Layer layer : report.layers()) {
      double rate = layer.wallSeconds() > 0 ? report.tokens() / layer.wallSeconds() : 0;
      x.add(t);
      y.add(rate);
      t += layer.wallSeconds();
      x.add(t);
      y.add(rate);
    }
    XYSeries layers = chart.addSeries("per layer", x, y);
    layers.setMarker(SeriesMarkers.CIRCLE);
    XYSeries whole =
        chart.addSeries(
            "whole run (with setup and output)",
            List.of(0.0, t),
            List.of(report.tokensPerSecond(), report.tokensPerSecond()));
    whole.setMarker(SeriesMarkers.NONE).setLineStyle(SeriesLines.DASH_DASH);
    whole.setLineColor(Color.DARK_GRAY);
    return chart;
  }

  /** Bytes through the two exchanges per layer, against the least any exchange can move. */
  static ChartImage traffic(RunReport report) {
    List<String> layers = layerLabels(report);
    CategoryChart chart = categoryChart("Traffic per layer", "layer", "MB");
    chart.addSeries("dispatched", layers, values(report, l -> l.bytesDispatched() / 1e6));
    chart.addSeries("combined", layers, values(report, l -> l.bytesCombined() / 1e6));
    chart.addSeries(
        "minimum (top-k x tokens x hidden)", layers, values(report, l -> l.bytesMinimum() / 1e6));
    return ChartImage.render(
        "Traffic per layer",
        "Arrow bytes shuffled from token owners to experts and back, against the least any"
            + " exchange can move in the activation dtype; the difference is Arrow framing and"
            + " routing metadata.",
        chart);
  }

  private static CategoryChart categoryChart(String title, String xAxis, String yAxis) {
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title(title)
            .xAxisTitle(xAxis)
            .yAxisTitle(yAxis)
            .build();
    style(chart.getStyler());
    return chart;
  }

  private static void style(Styler styler) {
    styler.setChartBackgroundColor(Color.WHITE);
    styler.setLegendPosition(Styler.LegendPosition.OutsideE);
    styler.setLegendBorderColor(Color.WHITE);
  }

  private static List<String> layerLabels(RunReport report) {
    return report.layers().stream().map(l -> String.valueOf(l.layer())).toList();
  }

  private static List<Double> values(
      RunReport report, java.util.function.ToDoubleFunction<RunReport.Layer> value) {
    return report.layers().stream().map(l -> value.applyAsDouble(l)).toList();
  }

  /** Token-expert pairs per token, from the first layer. */
  private static double pairsPerToken(RunReport report) {
    long pairs = 0;
    for (long n : report.layers().get(0).tokensPerExpert()) {
      pairs += n;
    }
    return report.tokens() == 0 ? 0 : (double) pairs / report.tokens();
  }

  private static int[] range(int n) {
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = i;
    }
    return out;
  }
}
