package dev.sparkmoe.spark.cluster;

import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple4;

/**
 * Learns the cluster's slots. {@link #executors} reads them from the driver's own records where
 * those suffice (local mode: the one {@code driver} executor; a cluster: Spark's status store, the
 * one behind the UI and the REST API's {@code executors} endpoint, which has every executor's id,
 * block manager and resources) and runs no job; {@link #probe} asks the executors: a short job in
 * rounds of small tasks, until every executor that the status tracker knows has answered with its
 * id, host and GPU address.
 *
 * <p>Executors that register after the call are not in its answer; call again after the cluster
 * changes. Call it from the driver, not from a task.
 */
public final class ClusterProbe {
  /** How long {@link #probe(SparkSession)} waits for every executor to answer. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

  private static final Logger LOG = LoggerFactory.getLogger(ClusterProbe.class);
  // Each probe task holds its slot this long, so that one fast executor does not take every task.
  private static final long HOLD_MS = 50;

  private ClusterProbe() {}

  /** How long {@link #executors} waits for the status store to list what the tracker knows. */
  private static final long STORE_WAIT_MS = 2_000;

  /**
   * The same executors as {@link #probe(SparkSession)}, without a job where the driver knows them:
   * in local mode at once; on a cluster from the status store once it lists every executor the
   * status tracker knows (its listener runs a little behind), with the first GPU address of each
   * executor's resources. Falls back to {@link #probe(SparkSession)} when the store has not caught
   * up within {@value #STORE_WAIT_MS} ms.
   */
  public static List<ExecutorSlot> executors(SparkSession spark) {
    Objects.requireNonNull(spark, "spark");
    SparkContext sc = spark.sparkContext();
    if (sc.isLocal()) {
      String host = SparkEnv.get().blockManager().blockManagerId().host();
      List<ExecutorSlot> slots = List.of(new ExecutorSlot(ExecutorSlot.DRIVER, host, null));
      LOG.info("Executors from the driver (local mode, no probe job): {}", slots);
      return slots;
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STORE_WAIT_MS);
    while (true) {
      Map<String, ExecutorSlot> listed = StoreExecutors.byHostPort(sc);
      Set<String> expected = expectedHostPorts(sc);
      if (!expected.isEmpty() && listed.keySet().containsAll(expected)) {
        List<ExecutorSlot> slots =
            expected.stream().map(listed::get).sorted(ExecutorSlot.BY_EXECUTOR_ID).toList();
        LOG.info("Executors from the status store (no probe job): {}", slots);
        return slots;
      }
      if (System.nanoTime() > deadline) {
        LOG.info("Status store lists {} of {} executors; probing", listed.size(), expected.size());
        return probe(spark);
      }
      sleep();
    }
  }

  private static void sleep() {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Cannot list executors: interrupted", e);
    }
  }

  /** {@link #probe(SparkSession, Duration)} with {@link #DEFAULT_TIMEOUT}. */
  public static List<ExecutorSlot> probe(SparkSession spark) {
    return probe(spark, DEFAULT_TIMEOUT);
  }

  /**
   * Every executor of the session's cluster, sorted by {@link ExecutorSlot#BY_EXECUTOR_ID}; in
   * local mode the one {@code driver} executor, without GPU. GPU addresses are those Spark assigns
   * to a task that asks for one GPU (see {@link Pinning#requestGpuPerTask(JavaRDD)}), so with one
   * GPU per executor, the executor's GPU.
   *
   * @throws IllegalStateException when some executor has not answered within {@code timeout}
   */
  public static List<ExecutorSlot> probe(SparkSession spark, Duration timeout) {
    Objects.requireNonNull(spark, "spark");
    Objects.requireNonNull(timeout, "timeout");
    SparkContext sc = spark.sparkContext();
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<String, Reply> replies = new HashMap<>();
    for (int round = 1; ; round++) {
      Set<String> expected = expectedHostPorts(sc);
      if (!replies.isEmpty() && answered(replies).containsAll(expected)) {
        return slots(replies, round - 1);
      }
      long leftNanos = deadline - System.nanoTime();
      if (leftNanos <= 0) {
        throw notAnswered(expected, replies, timeout);
      }
      for (Reply reply : runRound(sc, tasksPerRound(sc, expected.size()), leftNanos)) {
        replies.putIfAbsent(reply.slot().executorId(), reply);
      }
    }
  }

  /** What one probe task learns: its slot, and the block manager port the tracker lists. */
  private record Reply(ExecutorSlot slot, int port) {
    // Tasks send a tuple, not the record: task results go through spark.serializer, and Spark
    // 3.5's Kryo (4.0) cannot serialize records, while chill registers Scala tuples.
    static Tuple4<String, String, Integer, String> toWire(ExecutorSlot slot, int port) {
      return new Tuple4<>(slot.executorId(), slot.host(), port, slot.gpuAddress());
    }

    static Reply fromWire(Tuple4<String, String, Integer, String> wire) {
      return new Reply(new ExecutorSlot(wire._1(), wire._2(), wire._4()), wire._3());
    }

    String hostPort() {
      return slot.host() + ":" + port;
    }
  }

  /**
   * Block managers of the executors that must answer. The tracker lists the driver's too; outside
   * local mode the driver runs no tasks, so it is left out.
   */
  private static Set<String> expectedHostPorts(SparkContext sc) {
    String driver = SparkEnv.get().blockManager().blockManagerId().hostPort();
    return Arrays.stream(sc.statusTracker().getExecutorInfos())
        .map(info -> info.host() + ":" + info.port())
        .filter(hostPort -> sc.isLocal() || !hostPort.equals(driver))
        .collect(Collectors.toSet());
  }

  private static Set<String> answered(Map<String, Reply> replies) {
    return replies.values().stream().map(Reply::hostPort).collect(Collectors.toSet());
  }

  private static int tasksPerRound(SparkContext sc, int executors) {
    return 2 * Math.max(sc.defaultParallelism(), executors);
  }

  private static List<Reply> runRound(SparkContext sc, int tasks, long timeoutNanos) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(sc);
    List<Integer> seeds = IntStream.range(0, tasks).boxed().toList();
    JavaRDD<Tuple4<String, String, Integer, String>> replies =
        Pinning.requestGpuPerTask(jsc.parallelize(seeds, tasks).mapPartitions(ClusterProbe::reply));
    JavaFutureAction<List<Tuple4<String, String, Integer, String>>> job = replies.collectAsync();
    try {
      return job.get(timeoutNanos, TimeUnit.NANOSECONDS).stream().map(Reply::fromWire).toList();
    } catch (TimeoutException e) {
      job.cancel(true);
      return List.of();
    } catch (InterruptedException e) {
      job.cancel(true);
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Cannot probe executors: interrupted", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("Cannot probe executors: " + e.getCause().getMessage(), e);
    }
  }

  private static Iterator<Tuple4<String, String, Integer, String>> reply(Iterator<Integer> ignored)
      throws InterruptedException {
    Thread.sleep(HOLD_MS);
    int port = SparkEnv.get().blockManager().blockManagerId().port();
    return List.of(Reply.toWire(ExecutorSlot.ofCurrentTask(), port)).iterator();
  }

  private static List<ExecutorSlot> slots(Map<String, Reply> replies, int rounds) {
    List<ExecutorSlot> slots =
        replies.values().stream().map(Reply::slot).sorted(ExecutorSlot.BY_EXECUTOR_ID).toList();
    LOG.info("Probed {} executors in {} rounds: {}", slots.size(), rounds, slots);
    return slots;
  }

  private static IllegalStateException notAnswered(
      Set<String> expected, Map<String, Reply> replies, Duration timeout) {
    Set<String> missing =
        expected.stream()
            .filter(hostPort -> !answered(replies).contains(hostPort))
            .collect(Collectors.toCollection(TreeSet::new));
    return new IllegalStateException(
        String.format(
            "Cannot probe executors: %d of %d answered within %d s (silent block managers: %s)",
            expected.size() - missing.size(), expected.size(), timeout.toSeconds(), missing));
  }
}
