package dev.sparkmoe.spark.sql;

import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;

/**
 * The house test session ({@code local[2]}, UI off, loopback, UTC) with spark-moe's extension named
 * in {@code spark.sql.extensions}, and its warehouse in a test folder.
 */
final class SqlTestSession {
  private SqlTestSession() {}

  static SparkSession withExtensionConf(String appName, Path warehouse) {
    return withExtensionConf(appName, warehouse, 2);
  }

  /** The session over {@code local[cores]}: the expert service needs a slot per server and more. */
  static SparkSession withExtensionConf(String appName, Path warehouse, int cores) {
    return SparkSession.builder()
        .master("local[" + cores + "]")
        .appName(appName)
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.extensions", MoeSparkExtensions.class.getName())
        .config("spark.sql.warehouse.dir", warehouse.toUri().toString())
        .getOrCreate();
  }
}
