package dev.sparkmoe.spark;

import dev.sparkmoe.spark.pipeline.MoeKryoRegistrator;
import dev.sparkmoe.spark.pipeline.MoeSparkPlugin;
import org.apache.spark.sql.SparkSession;

/** The house test session: {@code local[2]}, UI off, loopback host, UTC, one per test class. */
public final class SparkTestSession {
  private SparkTestSession() {}

  public static SparkSession start(String appName) {
    return builder(appName).getOrCreate();
  }

  /** With spark-moe's {@code spark.plugins} entry: executors own their state. */
  public static SparkSession startWithPlugin(String appName) {
    return builder(appName).config("spark.plugins", MoeSparkPlugin.class.getName()).getOrCreate();
  }

  /**
   * With Kryo and {@code spark.kryo.registrationRequired=true}: an unregistered pipeline type fails
   * the test.
   */
  public static SparkSession startWithKryo(String appName) {
    return builder(appName)
        .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .config("spark.kryo.registrator", MoeKryoRegistrator.class.getName())
        .config("spark.kryo.registrationRequired", "true")
        .getOrCreate();
  }

  /**
   * {@link #startWithKryo(String)} on {@code local[cores]}: for service mode, whose barrier stage
   * holds a task slot per expert server while the owners run.
   */
  public static SparkSession startWithKryo(String appName, int cores) {
    return builder(appName)
        .master("local[" + cores + "]")
        .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .config("spark.kryo.registrator", MoeKryoRegistrator.class.getName())
        .config("spark.kryo.registrationRequired", "true")
        .getOrCreate();
  }

  private static SparkSession.Builder builder(String appName) {
    return SparkSession.builder()
        .master("local[2]")
        .appName(appName)
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4");
  }
}
