package dev.sparkmoe.spark;

import org.apache.spark.sql.SparkSession;

/** The house test session: {@code local[2]}, UI off, loopback host, UTC, one per test class. */
public final class SparkTestSession {
  private SparkTestSession() {}

  public static SparkSession start(String appName) {
    return SparkSession.builder()
        .master("local[2]")
        .appName(appName)
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate();
  }
}
