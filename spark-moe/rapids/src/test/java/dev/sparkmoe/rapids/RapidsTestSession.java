package dev.sparkmoe.rapids;

import dev.sparkmoe.spark.sql.MoeSparkExtensions;
import java.net.URL;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.MutableURLClassLoader;

/**
 * The house test session ({@code local[2]}, UI off, loopback, UTC, spark-moe's extension) with
 * RAPIDS' SQL plugin in {@code explainOnly} mode, as conf/spark-defaults-rapids.conf.template
 * configures it on Spark 3.5.6, less the GPU.
 */
final class RapidsTestSession {
  static final String SHIM_OVERRIDE =
      "com.nvidia.spark.rapids.shims.spark355.SparkShimServiceProvider";

  private RapidsTestSession() {}

  static SparkSession explainOnly(String appName, Path warehouse) {
    // RAPIDS adds its shim's classes to the context class loader, which must be one it can add to:
    // Spark's MutableURLClassLoader, as spark-submit sets it up for an application's jars.
    Thread.currentThread()
        .setContextClassLoader(
            new MutableURLClassLoader(new URL[0], Thread.currentThread().getContextClassLoader()));
    return SparkSession.builder()
        .master("local[2]")
        .appName(appName)
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.extensions", MoeSparkExtensions.class.getName())
        .config("spark.sql.warehouse.dir", warehouse.toUri().toString())
        .config("spark.plugins", "com.nvidia.spark.SQLPlugin")
        .config("spark.rapids.sql.mode", "explainOnly")
        .config("spark.rapids.skipGpuArchitectureCheck", "true")
        .config("spark.rapids.shims-provider-override", SHIM_OVERRIDE)
        // explainOnly logs every query's plan at WARN by default; the tests ask for the plans.
        .config("spark.rapids.sql.explain", "NONE")
        .getOrCreate();
  }
}
