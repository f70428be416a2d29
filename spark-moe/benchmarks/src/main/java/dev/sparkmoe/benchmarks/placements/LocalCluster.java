package dev.sparkmoe.benchmarks.placements;

import dev.sparkmoe.core.IoErrors;
import dev.sparkmoe.spark.pipeline.MoeKryoRegistrator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.spark.sql.SparkSession;

/**
 * A {@code local-cluster[N,1,MB]} session started from the classpath of this JVM, without a Spark
 * distribution, the way the tests' {@code LocalClusterSession} does: a master and N workers inside
 * this JVM, each worker one executor JVM with one core. Executors get this JVM's classpath; the
 * launcher needs {@code $SPARK_HOME/jars} to exist (an empty folder will do), and the workers read
 * {@code SPARK_HOME} from the environment only, so the process must be started with it set ({@link
 * ChildJvm} does). No GPUs: slots are executor task slots.
 */
final class LocalCluster {
  private static final Duration REGISTRATION_TIMEOUT = Duration.ofMinutes(3);

  private LocalCluster() {}

  static SparkSession start(String appName, int executors, int executorMemoryMb) {
    String home = System.getenv("SPARK_HOME");
    if (home == null) {
      throw new IllegalStateException(
          "Cannot start local-cluster: SPARK_HOME is not set (bench placements sets it for"
              + " its child JVMs; set it to an empty folder to run this class directly)");
    }
    createJars(Path.of(home));
    String master = String.format("local-cluster[%d,1,%d]", executors, executorMemoryMb);
    SparkSession spark =
        SparkSession.builder()
            .master(master)
            .appName(appName)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
            .config("spark.kryo.registrator", MoeKryoRegistrator.class.getName())
            .config("spark.executor.memory", executorMemoryMb + "m")
            .config("spark.executor.extraClassPath", System.getProperty("java.class.path"))
            .config("spark.executor.extraJavaOptions", "-XX:+UseParallelGC")
            .config("spark.executorEnv.SPARK_SCALA_VERSION", scalaBinaryVersion())
            .config("spark.executorEnv.OPENBLAS_NUM_THREADS", "1")
            .config("spark.locality.wait", "30s")
            .getOrCreate();
    try {
      awaitExecutors(spark, master, executors);
    } catch (RuntimeException e) {
      spark.stop();
      throw e;
    }
    return spark;
  }

  private static void awaitExecutors(SparkSession spark, String master, int executors) {
    long deadline = System.nanoTime() + REGISTRATION_TIMEOUT.toNanos();
    while (spark.sparkContext().statusTracker().getExecutorInfos().length - 1 < executors) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            String.format(
                "Cannot start %s: not all %d executors registered within %d s (executor logs"
                    + " under $SPARK_HOME/work)",
                master, executors, REGISTRATION_TIMEOUT.toSeconds()));
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Cannot start " + master + ": interrupted", e);
      }
    }
  }

  private static void createJars(Path home) {
    try {
      Files.createDirectories(home.resolve("jars"));
    } catch (IOException e) {
      throw IoErrors.cannot("create " + home.resolve("jars"), e);
    }
  }

  private static String scalaBinaryVersion() {
    String full = scala.util.Properties.versionNumberString();
    return full.substring(0, full.lastIndexOf('.'));
  }
}
