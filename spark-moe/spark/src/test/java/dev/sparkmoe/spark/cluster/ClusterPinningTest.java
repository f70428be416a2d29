package dev.sparkmoe.spark.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.spark.LocalClusterSession;
import java.io.Serializable;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Iterator;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import scala.Tuple2;

/**
 * Probing and pinning on a real cluster: four executor JVMs, each with its own fake GPU, and tasks
 * that report where they ran.
 */
class ClusterPinningTest {
  private static final int EXECUTORS = 4;
  private static final int PARTITIONS = 8;

  private static SparkSession spark;
  private static JavaSparkContext jsc;
  private static List<ExecutorSlot> slots;

  @BeforeAll
  static void startCluster() {
    spark = LocalClusterSession.start("ClusterPinningTest", EXECUTORS);
    jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    slots = ClusterProbe.probe(spark);
  }

  @AfterAll
  static void stopCluster() {
    if (spark != null) {
      spark.stop();
    }
  }

  /** Where a task ran: its partition, and the slot it found itself on. */
  record Ran(int partition, ExecutorSlot slot) implements Serializable {}

  @Test
  void executorsFromTheStatusStoreAreTheProbedOnesWithoutAJob() {
    JobCounter jobs = JobCounter.register(spark);

    List<ExecutorSlot> listed = ClusterProbe.executors(spark);

    assertThat(jobs.jobsSince()).as("status store, no probe job").isZero();
    assertThat(listed).as("ids, hosts and GPU addresses").containsExactlyElementsOf(slots);
  }

  @Test
  void probeFindsEveryExecutorWithItsOwnGpu() throws UnknownHostException {
    assertThat(slots).extracting(ExecutorSlot::executorId).containsExactly("0", "1", "2", "3");
    // 127.0.0.1, or "localhost" once a local-mode session has run in this JVM (Spark's Executor
    // sets a JVM-wide custom host name).
    assertThat(slots).extracting(ExecutorSlot::host).containsOnly(slots.get(0).host());
    assertThat(InetAddress.getByName(slots.get(0).host()).isLoopbackAddress()).isTrue();
    assertThat(slots)
        .extracting(ExecutorSlot::gpuAddress)
        .as("fake-gpu-discovery.sh gives every worker its own address")
        .doesNotContainNull()
        .doesNotHaveDuplicates();
  }

  @Test
  void pinnedPartitionsRunOnTheirExecutors() {
    JavaRDD<Integer> numbers = jsc.parallelize(IntStream.range(0, 64).boxed().toList(), PARTITIONS);

    JavaRDD<Integer> pinned = Pinning.requestGpuPerTask(Pinning.pin(numbers, roundRobin()));

    assertThat(pinned.getResourceProfile()).as("task resource profile").isNotNull();
    assertThat(pinned.collect()).as("pinning keeps the data").isEqualTo(numbers.collect());
    assertRanOnPinnedSlots(pinned.mapPartitionsWithIndex(ClusterPinningTest::where, false));
  }

  @Test
  void pinnedShuffleOutputRunsOnItsExecutors() {
    HashPartitioner byKey = new HashPartitioner(PARTITIONS);
    JavaPairRDD<Integer, Integer> shuffled =
        jsc.parallelize(IntStream.range(0, 200).boxed().toList(), 3)
            .mapToPair(i -> new Tuple2<>(i % 37, i))
            .partitionBy(byKey);

    JavaPairRDD<Integer, Integer> pinned =
        Pinning.requestGpuPerTask(Pinning.pin(shuffled, roundRobin()));

    assertThat(pinned.partitioner().orNull()).isEqualTo(byKey);
    assertThat(pinned.rdd().partitions()).isEqualTo(shuffled.rdd().partitions());
    assertThat(pinned.mapPartitionsWithIndex(ClusterPinningTest::keysInPlace, false).collect())
        .as("every key in the partition its partitioner names")
        .containsOnly(true);
    assertRanOnPinnedSlots(pinned.mapPartitionsWithIndex(ClusterPinningTest::where, false));
  }

  private static List<String> roundRobin() {
    return IntStream.range(0, PARTITIONS)
        .mapToObj(i -> slots.get(i % slots.size()).taskLocation())
        .toList();
  }

  private static void assertRanOnPinnedSlots(JavaRDD<Ran> ran) {
    List<Ran> tasks = ran.collect();
    assertThat(tasks).hasSize(PARTITIONS);
    for (Ran task : tasks) {
      assertThat(task.slot())
          .as("partition %d pinned to %s", task.partition(), slot(task.partition()))
          .isEqualTo(slot(task.partition()));
    }
  }

  private static ExecutorSlot slot(int partition) {
    return slots.get(partition % slots.size());
  }

  private static <T> Iterator<Ran> where(int partition, Iterator<T> ignored) {
    return List.of(new Ran(partition, ExecutorSlot.ofCurrentTask())).iterator();
  }

  private static Iterator<Boolean> keysInPlace(
      int partition, Iterator<Tuple2<Integer, Integer>> rows) {
    HashPartitioner byKey = new HashPartitioner(PARTITIONS);
    boolean inPlace = true;
    while (rows.hasNext()) {
      inPlace &= byKey.getPartition(rows.next()._1()) == partition;
    }
    return List.of(inPlace).iterator();
  }
}
