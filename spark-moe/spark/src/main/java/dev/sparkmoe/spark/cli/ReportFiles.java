package dev.sparkmoe.spark.cli;

import dev.sparkmoe.core.IoErrors;
import dev.sparkmoe.spark.pipeline.RunReport;
import dev.sparkmoe.spark.report.HtmlReport;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a run's report next to its output, on whatever file system the output is on: {@code
 * <output>.report.json} (the data) and {@code <output>.report.html} (the same with charts).
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
   * Writes both files. The JSON report is the record of the run and failing to write it fails the
   * command; the HTML page is a view of it, and a machine that cannot draw it (no fonts, a JRE
   * without AWT) gets a warning instead.
   *
   * @return the paths written, for the user ("X and Y")
   */
  static String write(SparkSession session, String output, RunReport report) {
    Configuration hadoop = session.sparkContext().hadoopConfiguration();
    write(hadoop, new Path(path(output)), report.toJson());
    String html;
    try {
      html = HtmlReport.render(report);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (RuntimeException | Error e) {
      LOG.warn("Cannot draw the HTML run report {}: {}", htmlPath(output), e.toString());
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
