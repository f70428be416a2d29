package dev.sparkmoe.spark.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.spark.pipeline.RunReport;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class HtmlReportTest {
  private static final Pattern IMAGE =
      Pattern.compile("<img alt=\"([^\"]*)\" src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\">");

  private final long seed = new Random().nextLong();
  private final Random random = new Random(seed);

  @Test
  void embedsEveryChartAsADecodablePng() throws IOException {
    RunReport report = RunReports.random(random, 4, 16, 8, false);

    String html = HtmlReport.render(report);

    List<String> titles = new ArrayList<>();
    Matcher images = IMAGE.matcher(html);
    while (images.find()) {
      titles.add(images.group(1));
      BufferedImage image =
          ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(images.group(2))));
      assertThat(image).as("%s (seed %d)", images.group(1), seed).isNotNull();
      assertThat(image.getWidth()).isEqualTo(ReportCharts.WIDTH);
    }
    assertThat(titles)
        .containsExactly(
            "Tokens per expert",
            "Load per slot",
            "Time per stage",
            "Throughput over the run",
            "Traffic per layer");
    // The page a person looks at: target/report-preview/report.html.
    Path preview = Path.of("target", "report-preview");
    Files.createDirectories(preview);
    Files.writeString(preview.resolve("report.html"), html);
  }

  @Test
  void summarisesTheRunAndEveryLayerAndExecutor() {
    RunReport report = RunReports.random(random, 3, 8, 4, false);

    String html = HtmlReport.render(report);

    assertThat(html)
        .startsWith("<!DOCTYPE html>")
        .contains("<td>placement</td><td>" + report.placement() + "</td>")
        .contains(
            String.format(java.util.Locale.ROOT, "<td>tokens</td><td>%,d</td>", report.tokens()))
        .contains("<td>executor</td>".replace("td", "th"));
    for (RunReport.Layer layer : report.layers()) {
      assertThat(html)
          .contains(
              String.format(
                  java.util.Locale.ROOT,
                  "<tr><td>%d</td><td>%.3f</td><td>%.2f</td>",
                  layer.layer(),
                  layer.wallSeconds(),
                  layer.balance()));
    }
    assertThat(html)
        .as("executor 0: 4 experts loaded, its load seconds, GPU 0")
        .contains(
            String.format(
                java.util.Locale.ROOT,
                "<tr><td>0</td><td>4</td><td>%.3f</td><td>0</td></tr>",
                report.executors().get(0).loadSeconds()))
        .contains(
            String.format(
                java.util.Locale.ROOT,
                "<td>expert load</td><td>%.2f s fetched and decoded (all threads), %.2f s of it"
                    + " waited for by expert tasks</td>",
                report.loadSeconds(),
                report.loadBlockedSeconds()))
        .contains(
            String.format(
                java.util.Locale.ROOT,
                "<td>%.3f</td><td>%.3f</td></tr>",
                report.layers().get(0).expertBlockedSeconds(),
                report.layers().get(0).loadSeconds()));
    long unpinned =
        report.layers().stream().flatMap(l -> l.slots().stream()).filter(s -> !s.pinned()).count();
    assertThat(html)
        .contains(
            "<td>expert tasks off their slot&#39;s executor</td><td>"
                + unpinned
                + " of "
                + 3 * 4
                + "</td>")
        .contains("<td>rows skipped (invalid tokens)</td><td>" + report.skippedRows() + "</td>");
  }

  @Test
  void escapesWhatItQuotes() {
    RunReport base = RunReports.random(random, 1, 4, 2, false);
    RunReport hostile =
        RunReports.copy(
            base,
            "/models/<script>alert(\"x\")</script>&co",
            base.rows(),
            base.tokens(),
            base.wallSeconds(),
            base.layers(),
            base.executors());

    String html = HtmlReport.render(hostile);

    assertThat(html)
        .doesNotContain("<script>")
        .contains("/models/&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;co");
  }

  @Test
  void aRunWithNoLayersSaysSoAndDrawsNothing() {
    RunReport base = RunReports.random(random, 1, 4, 2, false);
    RunReport empty = RunReports.copy(base, base.model(), 0, 0, 0.5, List.of(), List.of());

    String html = HtmlReport.render(empty);

    assertThat(html).contains("<p>No layer ran: the input had no rows.</p>").doesNotContain("<img");
  }
}
