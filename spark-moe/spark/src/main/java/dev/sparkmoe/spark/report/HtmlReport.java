package dev.sparkmoe.spark.report;

import dev.sparkmoe.spark.pipeline.RunReport;
import java.util.List;
import java.util.Locale;

/**
 * A run report as one self-contained HTML page: a summary, the charts of {@link ReportCharts} as
 * embedded PNG images, and per-layer and per-executor tables. The page loads nothing from anywhere,
 * so it can be mailed, attached to a ticket or shown in a notebook ({@code displayHTML}).
 */
public final class HtmlReport {
  private static final String STYLE =
      "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;"
          + "max-width:1000px;color:#222}"
          + "h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em}"
          + "table{border-collapse:collapse;margin:.5em 0}"
          + "td,th{padding:.25em .8em;border-bottom:1px solid #ddd;text-align:right}"
          + "th:first-child,td:first-child{text-align:left}"
          + ".summary td{text-align:left}.caption{color:#555;max-width:960px}"
          + "img{max-width:100%;height:auto}";

  private HtmlReport() {}

  /** The page for {@code report}. */
  public static String render(RunReport report) {
    StringBuilder html = new StringBuilder(1 << 16);
    html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<title>spark-moe run: ")
        .append(Html.escape(report.model()))
        .append("</title>\n<style>")
        .append(STYLE)
        .append("</style>\n</head>\n<body>\n<h1>spark-moe run report</h1>\n");
    summary(html, report);
    if (report.layers().isEmpty()) {
      html.append("<p>No layer ran: the input had no rows.</p>\n");
    } else {
      for (ChartImage chart : ReportCharts.all(report)) {
        chart(html, chart);
      }
      layers(html, report.layers());
      if (report.exchange() != null && !report.exchange().serviceLayers().isEmpty()) {
        service(html, report.exchange().serviceLayers());
      }
    }
    executors(html, report.executors());
    return html.append("</body>\n</html>\n").toString();
  }

  private static void summary(StringBuilder html, RunReport r) {
    html.append("<table class=\"summary\">\n");
    row(html, "model", r.model());
    row(html, "placement", r.placement());
    if (r.placementReason() != null) {
      row(html, "placement chosen", r.placementReason());
    }
    if (r.exchange() != null) {
      row(html, "exchange", r.exchange().mode() + ": " + r.exchange().reason());
    }
    row(html, "backend", r.backend());
    row(html, "activations", r.activationDtype());
    row(html, "token-owner partitions", String.valueOf(r.partitions()));
    row(html, "expert slots", String.valueOf(r.slotLocations().size()));
    row(html, "rows", format("%,d", r.rows()));
    row(html, "rows skipped (invalid tokens)", format("%,d", r.skippedRows()));
    row(html, "tokens", format("%,d", r.tokens()));
    row(html, "wall clock", format("%.2f s", r.wallSeconds()));
    row(html, "throughput", format("%,.0f tokens/s", r.tokensPerSecond()));
    row(
        html,
        "expert load",
        format(
            "%.2f s fetched and decoded (all threads), %.2f s of it waited for by expert tasks",
            r.loadSeconds(), r.loadBlockedSeconds()));
    long tasks = r.layers().stream().mapToLong(l -> l.slots().size()).sum();
    long unpinned =
        r.layers().stream().flatMap(l -> l.slots().stream()).filter(s -> !s.pinned()).count();
    row(html, "expert tasks off their slot's executor", format("%,d of %,d", unpinned, tasks));
    html.append("</table>\n");
  }

  private static void service(StringBuilder html, List<RunReport.ServiceLayer> layers) {
    html.append("<h2>Expert service</h2>\n<table>\n<tr><th>layer</th><th>owner compute s</th>")
        .append("<th>wait on experts s</th><th>server busy</th><th>max queue depth</th>")
        .append("<th>requests</th><th>computations</th></tr>\n");
    for (RunReport.ServiceLayer l : layers) {
      html.append(
          format(
              "<tr><td>%d</td><td>%.3f</td><td>%.3f</td><td>%.0f%%</td><td>%d</td><td>%,d</td>"
                  + "<td>%,d</td></tr>%n",
              l.layer(),
              l.ownerComputeSeconds(),
              l.expertWaitSeconds(),
              100 * l.serverBusyFraction(),
              l.maxQueueDepth(),
              l.requests(),
              l.computations()));
    }
    html.append("</table>\n");
  }

  private static void chart(StringBuilder html, ChartImage chart) {
    html.append("<h2>")
        .append(Html.escape(chart.title()))
        .append("</h2>\n<p class=\"caption\">")
        .append(Html.escape(chart.caption()))
        .append("</p>\n<img alt=\"")
        .append(Html.escape(chart.title()))
        .append("\" src=\"")
        .append(chart.dataUri())
        .append("\">\n");
  }

  private static void layers(StringBuilder html, List<RunReport.Layer> layers) {
    html.append("<h2>Layers</h2>\n<table>\n<tr><th>layer</th><th>wall s</th><th>balance</th>")
        .append("<th>dispatched MB</th><th>combined MB</th><th>minimum MB</th>")
        .append("<th>owner s</th><th>expert s</th><th>blocked s</th><th>load s</th></tr>\n");
    for (RunReport.Layer l : layers) {
      cells(
          html,
          String.valueOf(l.layer()),
          format("%.3f", l.wallSeconds()),
          format("%.2f", l.balance()),
          format("%.3f", l.bytesDispatched() / 1e6),
          format("%.3f", l.bytesCombined() / 1e6),
          format("%.3f", l.bytesMinimum() / 1e6),
          format("%.3f", l.ownerComputeSeconds()),
          format("%.3f", l.expertComputeSeconds()),
          format("%.3f", l.expertBlockedSeconds()),
          format("%.3f", l.loadSeconds()));
    }
    html.append("</table>\n");
  }

  private static void executors(StringBuilder html, List<RunReport.Executor> executors) {
    html.append("<h2>Executors</h2>\n<table>\n")
        .append("<tr><th>executor</th><th>experts loaded</th><th>load s</th><th>GPUs</th></tr>\n");
    for (RunReport.Executor e : executors) {
      String gpus = e.gpuAddresses().isEmpty() ? "none" : String.join(", ", e.gpuAddresses());
      cells(
          html,
          e.executorId(),
          String.valueOf(e.expertLoads()),
          format("%.3f", e.loadSeconds()),
          gpus);
    }
    html.append("</table>\n");
  }

  private static void row(StringBuilder html, String name, String value) {
    cells(html, name, value);
  }

  private static void cells(StringBuilder html, String... values) {
    html.append("<tr>");
    for (String value : values) {
      html.append("<td>").append(Html.escape(value)).append("</td>");
    }
    html.append("</tr>\n");
  }

  private static String format(String pattern, Object... args) {
    return String.format(Locale.ROOT, pattern, args);
  }
}
