package dev.sparkmoe.spark.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.spark.SparkTestSession;
import java.util.ArrayList;
import java.util.Collections;
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
 * Probing and pinning in local mode: one {@code driver} executor, no GPU, and pins are harmless.
 */
class LocalPinningTest {
  private static SparkSession spark;
  private static JavaSparkContext jsc;

  @BeforeAll
  static void startSpark() {
    spark = SparkTestSession.start("LocalPinningTest");
    jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
  }

  @AfterAll
  static void stopSpark() {
    spark.stop();
  }

  @Test
  void probeFindsTheDriverWithoutGpu() {
    assertThat(ClusterProbe.probe(spark))
        .containsExactly(new ExecutorSlot("driver", "127.0.0.1", null));
  }

  @Test
  void executorsComeFromTheDriverWithoutAJob() {
    JobCounter jobs = JobCounter.register(spark);

    List<ExecutorSlot> executors = ClusterProbe.executors(spark);

    assertThat(executors).containsExactlyElementsOf(ClusterProbe.probe(spark));
    assertThat(jobs.jobsSince()).as("the probe above ran one job; executors() none").isEqualTo(1);
  }

  @Test
  void pinningToTheDriverKeepsTheData() {
    ExecutorSlot driver = ClusterProbe.probe(spark).get(0);
    JavaRDD<Integer> numbers = jsc.parallelize(IntStream.range(0, 40).boxed().toList(), 4);

    JavaRDD<Integer> pinned =
        Pinning.requestGpuPerTask(
            Pinning.pin(numbers, Collections.nCopies(4, driver.taskLocation())));

    assertThat(pinned.getResourceProfile()).as("no task profile in local mode").isNull();
    assertThat(pinned.glom().collect()).isEqualTo(numbers.glom().collect());
  }

  @Test
  void pinningKeepsThePartitioner() {
    HashPartitioner byKey = new HashPartitioner(3);
    JavaPairRDD<Integer, String> pairs =
        jsc.parallelize(IntStream.range(0, 30).boxed().toList(), 2)
            .mapToPair(i -> new Tuple2<>(i % 7, "v" + i))
            .partitionBy(byKey);

    JavaPairRDD<Integer, String> pinned =
        Pinning.requestGpuPerTask(Pinning.pin(pairs, List.of("a", "b", "c")));

    assertThat(pinned.partitioner().orNull()).isEqualTo(byKey);
    assertThat(pinned.rdd().preferredLocations(pinned.rdd().partitions()[1]).head()).isEqualTo("b");
    assertThat(pinned.glom().collect()).isEqualTo(pairs.glom().collect());
  }

  @Test
  void rejectsOneLocationTooFew() {
    JavaRDD<Integer> numbers = jsc.parallelize(List.of(1, 2, 3), 3);

    assertThatThrownBy(() -> Pinning.pin(numbers, List.of("a", "b")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot pin RDD %d: 2 locations for 3 partitions (expected: one per partition)",
            numbers.id());
  }

  @Test
  void rejectsMissingLocation() {
    JavaRDD<Integer> numbers = jsc.parallelize(List.of(1, 2), 2);
    List<String> locations = new ArrayList<>(List.of("a"));
    locations.add(null);

    assertThatThrownBy(() -> Pinning.pin(numbers, locations))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid location for partition 1 of RDD %d: 'null' (expected: a host or"
                + " executor_<host>_<executorId>)",
            numbers.id());
  }
}
