package dev.sparkmoe.spark.cli;

import dev.sparkmoe.core.IoErrors;
import java.io.IOException;
import java.util.Locale;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/** The table formats the CLI reads and writes. */
enum TableFormat {
  PARQUET("parquet"),
  JSON("json");

  private final String sparkName;

  TableFormat(String sparkName) {
    this.sparkName = sparkName;
  }

  String sparkName() {
    return sparkName;
  }

  static TableFormat parse(String name) {
    for (TableFormat format : values()) {
      if (format.sparkName.equals(name.toLowerCase(Locale.ROOT))) {
        return format;
      }
    }
    throw new IllegalArgumentException(
        String.format("Invalid format: %s (expected: one of parquet, json)", name));
  }

  Dataset<Row> read(SparkSession session, String path) {
    return session.read().format(sparkName).load(path);
  }

  /**
   * Writes {@code table} to a path that must not exist yet. If the job fails, whatever it left at
   * the path is removed, so a failed run leaves no partial output behind.
   */
  void write(Dataset<Row> table, String path) {
    Path output = new Path(path);
    FileSystem fs = fileSystem(table.sparkSession(), output);
    if (exists(fs, output)) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot write %s: the path exists (remove it or choose another output)", path));
    }
    try {
      table.write().mode(SaveMode.ErrorIfExists).format(sparkName).save(path);
    } catch (
        Exception e) { // SparkException is checked in Java's eyes but thrown undeclared by Scala
      delete(fs, output, e);
      throw e;
    }
  }

  /** Fails before any work when {@code path} exists: outputs are never overwritten. */
  static void ensureAbsent(SparkSession session, String path) {
    Path output = new Path(path);
    if (exists(fileSystem(session, output), output)) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot write %s: the path exists (remove it or choose another output)", path));
    }
  }

  private static FileSystem fileSystem(SparkSession session, Path path) {
    try {
      return path.getFileSystem(session.sparkContext().hadoopConfiguration());
    } catch (IOException e) {
      throw IoErrors.cannot("access " + path, e);
    }
  }

  private static boolean exists(FileSystem fs, Path path) {
    try {
      return fs.exists(path);
    } catch (IOException e) {
      throw IoErrors.cannot("access " + path, e);
    }
  }

  private static void delete(FileSystem fs, Path path, Exception cause) {
    try {
      fs.delete(path, /* recursive= */ true);
    } catch (IOException e) {
      cause.addSuppressed(e);
    }
  }
}
