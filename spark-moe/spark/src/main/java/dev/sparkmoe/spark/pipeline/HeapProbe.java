package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.spark.cluster.ExecutorSlot;
import dev.sparkmoe.spark.cluster.Pinning;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.sql.SparkSession;
import scala.Tuple4;

/**
 * Asks every executor for its {@link HeapWatermark}s with a short job, one task pinned to each
 * executor (a preference: a task that runs elsewhere reports that executor instead). The driver
 * reads its own JVM directly; in local mode it is the only executor. Runs Spark jobs: call it from
 * the driver.
 */
final class HeapProbe {
  private static final String DRIVER = "driver";

  private HeapProbe() {}

  /** One executor's marks, in bytes. */
  record Marks(String executorId, long peakBytes, long livePeakBytes, long maxBytes) {}

  /** Restarts the marks of the driver and of every executor. */
  static void reset(SparkSession spark, List<ExecutorSlot> executors) {
    HeapWatermark.reset();
    run(
        spark,
        executors,
        i -> {
          HeapWatermark.reset();
          return reply();
        });
  }

  /** The marks of every executor that answered, and of the driver as {@code driver}. */
  static List<Marks> read(SparkSession spark, List<ExecutorSlot> executors) {
    List<Marks> marks = new ArrayList<>(run(spark, executors, i -> reply()));
    if (marks.stream().noneMatch(m -> m.executorId().equals(DRIVER))) {
      marks.add(toMarks(reply(DRIVER)));
    }
    return marks;
  }

  private static List<Marks> run(
      SparkSession spark,
      List<ExecutorSlot> executors,
      Function<Integer, Tuple4<String, Long, Long, Long>> task) {
    List<String> locations = executors.stream().map(ExecutorSlot::taskLocation).toList();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    JavaRDD<Integer> tasks =
        jsc.parallelize(IntStream.range(0, locations.size()).boxed().toList(), locations.size());
    Map<String, Marks> byExecutor = new TreeMap<>();
    for (Tuple4<String, Long, Long, Long> reply :
        Pinning.pin(tasks, locations).map(task).collect()) {
      byExecutor.putIfAbsent(reply._1(), toMarks(reply));
    }
    return List.copyOf(byExecutor.values());
  }

  // Tasks send a tuple, not the record: task results go through spark.serializer (Kryo).
  private static Tuple4<String, Long, Long, Long> reply() {
    return reply(SparkEnv.get().executorId());
  }

  private static Tuple4<String, Long, Long, Long> reply(String executorId) {
    return new Tuple4<>(
        executorId,
        HeapWatermark.peakBytes(),
        HeapWatermark.livePeakBytes(),
        HeapWatermark.maxBytes());
  }

  private static Marks toMarks(Tuple4<String, Long, Long, Long> reply) {
    return new Marks(reply._1(), reply._2(), reply._3(), reply._4());
  }
}
