package dev.sparkmoe.spark.cli;

import dev.sparkmoe.spark.pipeline.RunReport;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/** Writes a run's report next to its output, on whatever file system the output is on. */
final class ReportFiles {
  private ReportFiles() {}

  /**
   * {@code <output>.report.json}: beside the output folder, so readers of the output never see it.
   */
  static String path(String output) {
    String trimmed = output.endsWith("/") ? output.substring(0, output.length() - 1) : output;
    return trimmed + ".report.json";
  }

  static void write(SparkSession session, String output, RunReport report) {
    Path path = new Path(path(output));
    try {
      FileSystem fs = path.getFileSystem(session.sparkContext().hadoopConfiguration());
      try (OutputStream out = fs.create(path, /* overwrite= */ true)) {
        out.write(report.toJson().getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write the run report " + path, e);
    }
  }
}
