package dev.sparkmoe.benchmarks.placements;

import dev.sparkmoe.core.IoErrors;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** PNG plots of a {@link PlacementComparison}: predicted against measured. Needs no display. */
public final class PlacementPlots {
  private static final int WIDTH = 900;
  private static final int HEIGHT = 560;

  private PlacementPlots() {}

  /** Writes {@code tokens-per-second.png} and {@code layer-times.png} into {@code folder}. */
  public static List<Path> write(PlacementComparison comparison, Path folder, String subtitle) {
    System.setProperty("java.awt.headless", "true");
    Path rates = folder.resolve("tokens-per-second.png");
    Path layers = folder.resolve("layer-times.png");
    save(rates(comparison, subtitle), rates);
    save(layerTimes(comparison, subtitle), layers);
    return List.of(rates, layers);
  }

  private static CategoryChart rates(PlacementComparison comparison, String subtitle) {
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Tokens/s by placement: measured vs cost model (" + subtitle + ")")
            .xAxisTitle("placement")
            .yAxisTitle("tokens/s")
            .build();
    List<String> names = new ArrayList<>();
    List<Double> measured = new ArrayList<>();
    List<Double> predicted = new ArrayList<>();
    for (PlacementComparison.Entry e : comparison.entries()) {
      names.add(e.result().placement());
      measured.add(e.result().report().tokensPerSecond());
      predicted.add(e.prediction().tokensPerSecond());
    }
    chart.addSeries("measured", names, measured);
    chart.addSeries("predicted", names, predicted);
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setLabelsVisible(true);
    chart.getStyler().setDecimalPattern("#,###");
    return chart;
  }

  private static XYChart layerTimes(PlacementComparison comparison, String subtitle) {
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Per-layer time: predicted vs measured (" + subtitle + ")")
            .xAxisTitle("measured seconds")
            .yAxisTitle("predicted seconds")
            .build();
    double max = 0;
    for (PlacementComparison.Entry e : comparison.entries()) {
      List<Double> x = new ArrayList<>();
      List<Double> y = new ArrayList<>();
      for (int i = 0; i < e.result().report().layers().size(); i++) {
        x.add(e.result().report().layers().get(i).wallSeconds());
        y.add(e.prediction().layers().get(i).totalSeconds());
        max = Math.max(max, Math.max(x.get(i), y.get(i)));
      }
      XYSeries series = chart.addSeries(e.result().placement(), x, y);
      series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
    }
    line(chart, "predicted = measured", max * 1.1, 1.0, SeriesLines.SOLID);
    line(chart, "+30%", max * 1.1, 1.3, SeriesLines.DASH_DASH);
    line(chart, "-30%", max * 1.1, 0.7, SeriesLines.DASH_DASH);
    chart.getStyler().setXAxisMin(0.0);
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setMarkerSize(9);
    return chart;
  }

  private static void line(
      XYChart chart, String name, double max, double slope, java.awt.BasicStroke style) {
    XYSeries series = chart.addSeries(name, new double[] {0, max}, new double[] {0, max * slope});
    series.setMarker(SeriesMarkers.NONE);
    series.setLineColor(slope == 1.0 ? Color.DARK_GRAY : Color.GRAY);
    series.setLineStyle(style);
    series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
  }

  private static void save(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, Path file) {
    try {
      BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    } catch (IOException e) {
      throw IoErrors.cannot("write plot " + file, e);
    }
  }
}
