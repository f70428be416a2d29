package dev.sparkmoe.benchmarks.cli;

import dev.sparkmoe.core.forward.OutputKind;
import dev.sparkmoe.spark.pipeline.MoeInference;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * System (b) of {@code bench peer}: the same rows as a Spark table through the expert-parallel
 * pipeline ({@link MoeInference}, CPU backend, default placement) in the current session (local
 * mode: the executors are this JVM), collected back to the driver. The timed span covers the whole
 * job: planning, shuffles, tasks, row conversion and the collect.
 */
final class BenchSpark {
  private static final StructType SCHEMA =
      new StructType()
          .add("id", DataTypes.LongType, false)
          .add("tokens", DataTypes.createArrayType(DataTypes.IntegerType, false), false);

  /** The {@code --spark-modes} entry that runs the in-task placement instead of an exchange. */
  static final String IN_TASK = "in-task";

  private BenchSpark() {}

  /**
   * @param mode the exchange mode ({@code spark.moe.mode}), or {@value #IN_TASK} for the in-task
   *     placement (each owner task computes every expert: no exchange)
   * @param slots expert slots, or null for the default
   */
  static BenchResult run(
      SparkSession session, BenchWorkload workload, int repeats, String mode, Integer slots) {
    MoeInference inference =
        MoeInference.of(workload.modelDir().toAbsolutePath().toString())
            .kind(OutputKind.EMBEDDING)
            .backend("cpu");
    inference = IN_TASK.equals(mode) ? inference.placement(IN_TASK) : inference.mode(mode);
    if (slots != null) {
      inference = inference.slots(slots);
    }
    embed(session, workload.warmup(), inference);
    double[] seconds = new double[repeats];
    float[][] embeddings = null;
    for (int i = 0; i < repeats; i++) {
      long start = System.nanoTime();
      embeddings = embed(session, workload.rows(), inference);
      seconds[i] = (System.nanoTime() - start) / 1e9;
    }
    return new BenchResult(
        "spark " + session.sparkContext().master() + " " + mode, seconds, embeddings);
  }

  private static float[][] embed(SparkSession session, List<int[]> rows, MoeInference inference) {
    List<Row> input = new ArrayList<>(rows.size());
    for (int i = 0; i < rows.size(); i++) {
      input.add(RowFactory.create((long) i, rows.get(i)));
    }
    float[][] out = new float[rows.size()][];
    for (Row row : transform(session.createDataFrame(input, SCHEMA), inference).collectAsList()) {
      List<Float> values = row.getList(1);
      float[] embedding = new float[values.size()];
      for (int d = 0; d < embedding.length; d++) {
        embedding[d] = values.get(d);
      }
      out[(int) row.getLong(0)] = embedding;
    }
    return out;
  }

  /** The Spark job under test: the one call to change to benchmark another Spark path. */
  private static Dataset<Row> transform(Dataset<Row> input, MoeInference inference) {
    return inference.transform(input);
  }
}
