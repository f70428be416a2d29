package dev.sparkmoe.spark.cli;

import dev.sparkmoe.core.IoErrors;
import dev.sparkmoe.spark.pipeline.RunReport;
import dev.sparkmoe.spark.report.HtmlReport;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a run's report next to its output, on whatever file system the output is on: {@code
 * <output>.report.json} (the data) and {@code <output>.report.html} (the same with charts). The
 * page is drawn off the critical path: {@link #draw} starts it on a background thread while the
 * output is written, and {@link #write} waits for it after the output is committed.
 */
final class ReportFiles {
  private static final Logger LOG = LoggerFactory.getLogger(ReportFiles.class);

  private ReportFiles() {}

  /**
   * {@code <output>.report.json}: beside the output folder, so readers of the output never see it.
   */
  static String path(String output) {
    return base(output) + ".report.json";
  }

  /** {@code <output>.report.html}, beside the JSON report. */
  static String htmlPath(String output) {
    return base(output) + ".report.html";
  }

  /**
   * Starts drawing the HTML page of {@code report} on a daemon thread of its own (a failed command
   * that never waits for it does not keep the JVM alive); {@link #write} waits for it.
   */
  static CompletableFuture<String> draw(RunReport report) {
    return CompletableFuture.supplyAsync(
        () -> HtmlReport.render(report),
        task -> {
          Thread thread = new Thread(task, "spark-moe-html-report");
          thread.setDaemon(true);
          thread.start();
        });
  }

  /** {@link #write(SparkSession, String, RunReport, CompletableFuture)}, drawing the page here. */
  static String write(SparkSession session, String output, RunReport report) {
    return write(session, output, report, draw(report));
  }

  /**
   * Writes both files: the JSON now, then the HTML page once {@code page} (from {@link #draw}) is
   * drawn. The JSON report is the record of the run and failing to write it fails the command; the
   * HTML page is a view of it, and a machine that cannot draw it (no fonts, a JRE without AWT) gets
   * a warning naming the page instead.
   *
   * @return the paths written, for the user ("X and Y")
   */
  static String write(
      SparkSession session, String output, RunReport report, CompletableFuture<String> page) {
    Configuration hadoop = session.sparkContext().hadoopConfiguration();
    write(hadoop, new Path(path(output)), report.toJson());
    String html;
    try {
      html = page.join();
    } catch (CompletionException | CancellationException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof VirtualMachineError error) {
        throw error;
      }
      LOG.warn("Cannot draw the HTML run report {}: {}", htmlPath(output), cause.toString());
      return path(output);
    }
    write(hadoop, new Path(htmlPath(output)), html);
    return path(output) + " and " + htmlPath(output);
  }

  private static void write(Configuration hadoop, Path path, String text) {
    try {
      FileSystem fs = path.getFileSystem(hadoop);
      try (OutputStream out = fs.create(path, /* overwrite= */ true)) {
        out.write(text.getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw IoErrors.cannot("write the run report " + path, e);
    }
  }

  private static String base(String output) {
    return output.endsWith("/") ? output.substring(0, output.length() - 1) : output;
  }
}
