package dev.sparkmoe.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import scala.Option;

/**
 * A real multi-process cluster on this machine for tests: {@code local-cluster[N,1,1024]} starts a
 * master and N workers inside the test JVM, and each worker one executor JVM with one core, 512 MB
 * of heap and one fake GPU ({@code conf/fake-gpu-discovery.sh}), one GPU per task. Start it once
 * per test class and stop it after; only one Spark session can run in a JVM.
 *
 * <p>What local-cluster mode needs, from a Maven test and without a Spark distribution:
 *
 * <ul>
 *   <li>{@code SPARK_HOME} in the environment of the test JVM (the spark module's surefire
 *       configuration sets it to {@code target/spark-home}): workers launch executors through
 *       Spark's launcher, which requires {@code $SPARK_HOME/jars}; this class creates that folder
 *       empty, and executor logs appear under {@code $SPARK_HOME/work/<app-id>/<executor-id>}.
 *       {@code spark.testing} with {@code spark.test.home} would do too, but puts Spark in its own
 *       test mode, which changes what it checks.
 *   <li>{@code SPARK_SCALA_VERSION} for the launcher, which otherwise looks for Spark's build
 *       folders: passed to executors through {@code spark.executorEnv}.
 *   <li>The test classpath on the executors: {@code spark.executor.extraClassPath}.
 *   <li>GPUs on the workers as well as the executors: in standalone mode the master places an
 *       executor only on a worker with a free GPU, and the worker hands its GPU to the executor.
 *       Workers run the discovery script in this JVM, and Spark exits the JVM when it fails, so
 *       this class checks the script first.
 * </ul>
 *
 * <p>Java 17 module flags need no setting: Spark 3.5's {@code SparkContext} adds them to {@code
 * spark.executor.extraJavaOptions} itself. {@code spark.locality.wait} is 30 s so that pinned tasks
 * wait for their executor deterministically.
 */
public final class LocalClusterSession {
  private static final Duration REGISTRATION_TIMEOUT = Duration.ofMinutes(2);
  private static final int WORKER_MEMORY_MB = 1024;

  private LocalClusterSession() {}

  /** A session on {@code executors} executor JVMs, returned once all have registered. */
  public static SparkSession start(String appName, int executors) {
    return start(appName, executors, Map.of());
  }

  /** As {@link #start(String, int)}, with {@code conf} added to the session's settings. */
  public static SparkSession start(String appName, int executors, Map<String, String> conf) {
    if (executors < 1) {
      throw new IllegalArgumentException(
          "Invalid executor count: " + executors + " (expected: at least 1)");
    }
    checkNoActiveSession();
    Path logs = sparkHome().resolve("work");
    String master = String.format("local-cluster[%d,1,%d]", executors, WORKER_MEMORY_MB);
    SparkSession.Builder builder = builder(appName, master);
    conf.forEach(builder::config);
    SparkSession spark = builder.getOrCreate();
    try {
      awaitExecutors(spark, master, executors, logs);
    } catch (RuntimeException e) {
      spark.stop();
      throw e;
    }
    return spark;
  }

  private static SparkSession.Builder builder(String appName, String master) {
    String gpus = discoveryScript().toString();
    return SparkSession.builder()
        .master(master)
        .appName(appName)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.executor.memory", "512m")
        .config("spark.executor.extraClassPath", System.getProperty("java.class.path"))
        .config("spark.executor.extraJavaOptions", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1")
        .config("spark.executorEnv.SPARK_SCALA_VERSION", scalaBinaryVersion())
        .config("spark.worker.resource.gpu.amount", "1")
        .config("spark.worker.resource.gpu.discoveryScript", gpus)
        .config("spark.executor.resource.gpu.amount", "1")
        .config("spark.executor.resource.gpu.discoveryScript", gpus)
        .config("spark.task.resource.gpu.amount", "1")
        .config("spark.locality.wait", "30s");
  }

  private static void checkNoActiveSession() {
    for (Option<SparkSession> session :
        List.of(SparkSession.getActiveSession(), SparkSession.getDefaultSession())) {
      if (session.isDefined() && !session.get().sparkContext().isStopped()) {
        throw new IllegalStateException(
            "Cannot start local-cluster: a Spark session on "
                + session.get().sparkContext().master()
                + " is running (stop it first)");
      }
    }
  }

  private static void awaitExecutors(SparkSession spark, String master, int executors, Path logs) {
    long deadline = System.nanoTime() + REGISTRATION_TIMEOUT.toNanos();
    int registered = registeredExecutors(spark);
    while (registered < executors) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            String.format(
                "Cannot start %s: %d of %d executors registered within %d s (executor logs: %s)",
                master,
                registered,
                executors,
                REGISTRATION_TIMEOUT.toSeconds(),
                logs.resolve(spark.sparkContext().applicationId())));
      }
      sleep(Duration.ofMillis(100));
      registered = registeredExecutors(spark);
    }
  }

  /** The status tracker lists the driver's block manager with the executors'. */
  private static int registeredExecutors(SparkSession spark) {
    return spark.sparkContext().statusTracker().getExecutorInfos().length - 1;
  }

  /** The Spark home from the environment, with the {@code jars/} folder the launcher requires. */
  private static Path sparkHome() {
    String home = System.getenv("SPARK_HOME");
    if (home == null) {
      throw new IllegalStateException(
          "Cannot start local-cluster: SPARK_HOME is not set (the spark module's surefire"
              + " configuration sets it; outside Maven, set it to an empty folder)");
    }
    Path jars = Path.of(home, "jars");
    try {
      Files.createDirectories(jars);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create " + jars, e);
    }
    return Path.of(home);
  }

  private static Path discoveryScript() {
    String root = System.getProperty("moe.root");
    if (root == null) {
      throw new IllegalStateException(
          "Cannot start local-cluster: system property moe.root is not set (expected: the"
              + " repository root, which holds conf/fake-gpu-discovery.sh)");
    }
    Path script = Path.of(root, "conf", "fake-gpu-discovery.sh").toAbsolutePath();
    if (!Files.isExecutable(script)) {
      throw new IllegalStateException(
          "Cannot start local-cluster: " + script + " is missing or not executable");
    }
    return script;
  }

  private static String scalaBinaryVersion() {
    String full = scala.util.Properties.versionNumberString();
    return full.substring(0, full.lastIndexOf('.'));
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Cannot start local-cluster: interrupted", e);
    }
  }
}
