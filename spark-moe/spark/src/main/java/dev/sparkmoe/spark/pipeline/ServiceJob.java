package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.service.ServerStats;
import dev.sparkmoe.spark.cluster.Pinning;
import java.io.Serializable;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.CollectionAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.JavaConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * The job of the service mode: a barrier stage of expert servers, one task per slot pinned as the
 * expert tasks are ({@link ServerTask}), submitted asynchronously, and while it runs one owner
 * stage over the input partitions ({@link ServiceOwnerTask}) that sends every layer's tokens to the
 * servers. The servers learn nothing but the driver's {@link AddressRegistry}, the owners ask it
 * for the servers. When the owners are done, or failed, the registry tells the servers to stop, the
 * driver waits for the barrier job (cancels it past the timeout) and closes the registry.
 */
final class ServiceJob {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceJob.class);
  private static final long STOP_WAIT_MS = 30_000;

  private final PipelineManifest manifest;
  private final List<String> slotLocations;
  private final CollectionAccumulator<TaskStat> stats;
  private final CollectionAccumulator<ServerStats> serverStats;
  private final CollectionAccumulator<OwnerTiming> timings;
  private final RunRecorder recorder;

  ServiceJob(
      PipelineManifest manifest,
      List<String> slotLocations,
      CollectionAccumulator<TaskStat> stats,
      CollectionAccumulator<ServerStats> serverStats,
      CollectionAccumulator<OwnerTiming> timings,
      RunRecorder recorder) {
    this.manifest = manifest;
    this.slotLocations = slotLocations;
    this.stats = stats;
    this.serverStats = serverStats;
    this.timings = timings;
    this.recorder = recorder;
  }

  /** Runs every layer and returns the (persisted, materialized) output rows. */
  JavaRDD<Row> run(JavaRDD<Row> rows) {
    SparkContext sc = rows.context();
    try (AddressRegistry registry = AddressRegistry.start(bindHost(sc), advertisedHost(sc))) {
      JavaFutureAction<Long> servers = servers(sc, registry.endpoint()).countAsync();
      try {
        awaitServers(registry, servers);
        JavaRDD<Row> out = owners(rows, registry.endpoint());
        registry.stopServers();
        awaitEnd(servers);
        recordLayers();
        return out;
      } finally {
        registry.stopServers();
        if (!servers.isDone()) {
          finish(servers);
        }
      }
    }
  }

  private JavaRDD<Row> owners(JavaRDD<Row> rows, RegistryEndpoint registry) {
    PipelineManifest m = manifest;
    CollectionAccumulator<TaskStat> acc = stats;
    CollectionAccumulator<OwnerTiming> times = timings;
    JavaRDD<Row> out =
        rows.mapPartitionsWithIndex(
            (p, it) -> ServiceOwnerTask.run(m, p, it, registry, acc, times), true);
    out.persist(StorageLevel.MEMORY_AND_DISK());
    out.count();
    return out;
  }

  /**
   * The barrier stage: one partition per slot, pinned, one GPU per task where the master can. It
   * ends in a shuffle so that it is a shuffle map stage: Spark relaunches a failed barrier shuffle
   * map stage whole, but aborts a failed barrier result stage.
   */
  JavaRDD<Object> servers(SparkContext sc, RegistryEndpoint registry) {
    int slots = slotLocations.size();
    JavaRDD<Integer> pinned =
        Pinning.pin(
            JavaSparkContext.fromSparkContext(sc)
                .parallelize(IntStream.range(0, slots).boxed().toList(), slots),
            slotLocations);
    ClassTag<Object> tag = ClassTag$.MODULE$.apply(Object.class);
    RDD<Object> served =
        pinned
            .rdd()
            .barrier()
            .mapPartitions(new Serve(manifest, registry, serverStats, stats), false, tag);
    return Pinning.requestGpuPerTask(new JavaRDD<>(served, tag)).repartition(1);
  }

  /** Waits until every slot's server reported; fails with the barrier job's error if it ended. */
  void awaitServers(AddressRegistry registry, JavaFutureAction<Long> servers) {
    long timeoutMs = manifest.service().connectTimeoutMs();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    try {
      if (registry.awaitAll(slotLocations.size(), deadline, () -> !servers.isDone())) {
        LOG.info("spark-moe: {} expert servers up", slotLocations.size());
        return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Cannot start the expert servers: interrupted", e);
    }
    if (servers.isDone()) {
      awaitEnd(servers); // throws the barrier job's failure
    }
    throw new IllegalStateException(
        String.format(
            "Cannot start the expert servers: %d of %d reported within %d ms (raise"
                + " spark.moe.service.connect-timeout-ms, or check that the cluster has %d free"
                + " task slots)",
            registry.attempts().size(), slotLocations.size(), timeoutMs, slotLocations.size() + 1));
  }

  /** Waits for the barrier job to end after STOP. */
  private static void awaitEnd(JavaFutureAction<Long> servers) {
    try {
      servers.get(STOP_WAIT_MS, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IllegalStateException(
          "Cannot run the expert servers' barrier stage: " + cause.getMessage(), cause);
    } catch (TimeoutException e) {
      servers.cancel(true);
      throw new IllegalStateException(
          String.format(
              "Cannot stop the expert servers: their barrier stage did not end within %d s of STOP"
                  + " (cancelled)",
              STOP_WAIT_MS / 1000),
          e);
    } catch (InterruptedException e) {
      servers.cancel(true);
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Cannot stop the expert servers: interrupted", e);
    }
  }

  /** After a failure: lets the servers end on STOP, cancels the job past the wait. */
  static void finish(JavaFutureAction<Long> servers) {
    try {
      servers.get(STOP_WAIT_MS, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      servers.cancel(true);
    } catch (InterruptedException e) {
      servers.cancel(true);
      Thread.currentThread().interrupt();
    }
  }

  /** A layer's time is its slowest owner partition's, computing and waiting on the servers. */
  private void recordLayers() {
    List<OwnerTiming> all = timings.value();
    for (int layer = 0; layer < manifest.placement().numLayers(); layer++) {
      int l = layer;
      long nanos =
          all.stream()
              .filter(t -> t.layer() == l)
              .mapToLong(t -> t.computeNanos() + t.waitNanos())
              .max()
              .orElse(0);
      recorder.layerDone(layer, nanos, stats.value());
    }
  }

  static String bindHost(SparkContext sc) {
    return sc.getConf().get("spark.driver.bindAddress", advertisedHost(sc));
  }

  static String advertisedHost(SparkContext sc) {
    return sc.getConf().get("spark.driver.host", "localhost");
  }

  /** The barrier tasks' function: Spark's Scala API, serializable. */
  private static final class Serve
      extends AbstractFunction1<
          scala.collection.Iterator<Integer>, scala.collection.Iterator<Object>>
      implements Serializable {
    private static final long serialVersionUID = 1L;
    private final PipelineManifest manifest;
    private final RegistryEndpoint registry;
    private final CollectionAccumulator<ServerStats> serverStats;
    private final CollectionAccumulator<TaskStat> stats;

    Serve(
        PipelineManifest manifest,
        RegistryEndpoint registry,
        CollectionAccumulator<ServerStats> serverStats,
        CollectionAccumulator<TaskStat> stats) {
      this.manifest = manifest;
      this.registry = registry;
      this.serverStats = serverStats;
      this.stats = stats;
    }

    @Override
    public scala.collection.Iterator<Object> apply(scala.collection.Iterator<Integer> ignored) {
      return JavaConverters.asScalaIterator(ServerTask.run(manifest, registry, serverStats, stats));
    }
  }
}
