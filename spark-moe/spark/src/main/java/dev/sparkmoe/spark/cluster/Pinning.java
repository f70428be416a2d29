package dev.sparkmoe.spark.cluster;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import org.apache.spark.resource.ResourceProfile;
import org.apache.spark.resource.ResourceProfileBuilder;
import org.apache.spark.resource.TaskResourceRequests;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts partitions where their slots are: a preferred location per partition, and one GPU per task.
 *
 * <p>A pin is a preference that Spark honours within {@code spark.locality.wait} (see the package
 * documentation). Locations are Spark task locations: {@link ExecutorSlot#taskLocation()} for an
 * executor, or a host name.
 */
public final class Pinning {
  private static final Logger LOG = LoggerFactory.getLogger(Pinning.class);
  private static final String EXECUTOR_GPUS = "spark.executor.resource.gpu.amount";

  private Pinning() {}

  /**
   * The same data in the same partitions, partition {@code i} preferring {@code
   * locationPerPartition.get(i)}; the parent's partitioner is kept. Lazy, like any transformation.
   *
   * @throws IllegalArgumentException when the list does not hold one non-blank location per
   *     partition
   */
  public static <T> JavaRDD<T> pin(JavaRDD<T> rdd, List<String> locationPerPartition) {
    Objects.requireNonNull(rdd, "rdd");
    return new JavaRDD<>(pinned(rdd.rdd(), rdd.classTag(), locationPerPartition), rdd.classTag());
  }

  /** {@link #pin(JavaRDD, List)} for pair RDDs, such as the output of {@code partitionBy}. */
  public static <K, V> JavaPairRDD<K, V> pin(
      JavaPairRDD<K, V> pairs, List<String> locationPerPartition) {
    Objects.requireNonNull(pairs, "pairs");
    return JavaPairRDD.fromRDD(
        pinned(pairs.rdd(), pairs.classTag(), locationPerPartition),
        pairs.kClassTag(),
        pairs.vClassTag());
  }

  /**
   * Asks for one GPU per task of the stage that computes {@code rdd}, through a task resource
   * profile (stage-level scheduling), so each task reads its GPU from {@code TaskContext}. Spark
   * attaches the profile to {@code rdd} itself, which is returned.
   *
   * <p>Returns {@code rdd} unchanged, and logs why, where a profile cannot apply: in local mode (no
   * GPUs, and Spark rejects task profiles there), on a master without stage-level scheduling, or
   * when executors have no GPU ({@code spark.executor.resource.gpu.amount} unset), where tasks
   * asking for one would never be scheduled.
   */
  public static <T> JavaRDD<T> requestGpuPerTask(JavaRDD<T> rdd) {
    Objects.requireNonNull(rdd, "rdd");
    requestGpuPerTask(rdd.rdd());
    return rdd;
  }

  /** {@link #requestGpuPerTask(JavaRDD)} for pair RDDs. */
  public static <K, V> JavaPairRDD<K, V> requestGpuPerTask(JavaPairRDD<K, V> pairs) {
    Objects.requireNonNull(pairs, "pairs");
    requestGpuPerTask(pairs.rdd());
    return pairs;
  }

  private static <T> RDD<T> pinned(
      RDD<T> rdd, scala.reflect.ClassTag<T> tag, List<String> locationPerPartition) {
    Objects.requireNonNull(locationPerPartition, "locationPerPartition");
    int partitions = rdd.getNumPartitions();
    if (locationPerPartition.size() != partitions) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot pin RDD %d: %d locations for %d partitions (expected: one per partition)",
              rdd.id(), locationPerPartition.size(), partitions));
    }
    for (int i = 0; i < partitions; i++) {
      String location = locationPerPartition.get(i);
      if (location == null || location.isBlank()) {
        throw new IllegalArgumentException(
            String.format(
                "Invalid location for partition %d of RDD %d: '%s' (expected: a host or"
                    + " executor_<host>_<executorId>)",
                i, rdd.id(), location));
      }
    }
    return new PinnedRDD<>(rdd, tag, locationPerPartition);
  }

  private static void requestGpuPerTask(RDD<?> rdd) {
    Optional<String> unsupported = whyNoGpuProfile(rdd.context());
    if (unsupported.isPresent()) {
      LOG.info("Not requesting a GPU per task for RDD {}: {}", rdd.id(), unsupported.get());
      return;
    }
    rdd.withResources(gpuPerTask());
    LOG.info(
        "Requesting 1 GPU per task for RDD {} (task resource profile {})",
        rdd.id(),
        rdd.getResourceProfile().id());
  }

  private static Optional<String> whyNoGpuProfile(SparkContext sc) {
    if (sc.isLocal()) {
      return Optional.of("local mode has no GPUs");
    }
    String master = sc.master();
    if (!supportsTaskProfiles(master)) {
      return Optional.of("master " + master + " has no stage-level scheduling");
    }
    if (sc.getConf().getDouble(EXECUTOR_GPUS, 0) <= 0) {
      return Optional.of("executors have no GPU (" + EXECUTOR_GPUS + " is not set)");
    }
    return Optional.empty();
  }

  /** The masters where Spark 3.5 accepts a task resource profile (ResourceProfileManager). */
  private static boolean supportsTaskProfiles(String master) {
    return master.startsWith("spark://")
        || master.startsWith("local-cluster")
        || master.equals("yarn")
        || master.startsWith("k8s://");
  }

  private static ResourceProfile gpuPerTask() {
    return new ResourceProfileBuilder()
        .require(new TaskResourceRequests().resource(ExecutorSlot.GPU, 1))
        .build();
  }
}
