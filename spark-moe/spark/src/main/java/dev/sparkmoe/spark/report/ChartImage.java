package dev.sparkmoe.spark.report;

import dev.sparkmoe.core.IoErrors;
import java.io.IOException;
import java.util.Base64;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.internal.chartpart.Chart;

/**
 * One chart of the report, rendered to PNG.
 *
 * @param title the heading shown above the chart
 * @param caption one or two sentences on how to read it
 * @param png the image
 */
@SuppressWarnings("ArrayRecordComponent") // an image built once and only read
public record ChartImage(String title, String caption, byte[] png) {

  /** Renders {@code chart} to PNG (headless AWT: no display is needed). */
  public static ChartImage render(String title, String caption, Chart<?, ?> chart) {
    try {
      return new ChartImage(
          title, caption, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
    } catch (IOException e) {
      throw IoErrors.cannot("render chart " + title + " to PNG", e);
    }
  }

  /** The image as a {@code data:} URI for an {@code <img src>}. */
  public String dataUri() {
    return "data:image/png;base64," + Base64.getEncoder().encodeToString(png);
  }
}
