package dev.sparkmoe.spark.sql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.forward.OutputHead;
import dev.sparkmoe.core.forward.ReferenceForward;
import dev.sparkmoe.core.generate.TokenGenerator;
import dev.sparkmoe.core.model.MoeModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Token rows with fresh random ids, and what the single-process reference forward (the oracle the
 * pipeline is tested against) says about them.
 */
public final class InferenceFixtures {
  /** The tiny preset's vocabulary. */
  public static final int VOCAB = 512;

  private InferenceFixtures() {}

  /** {@code rows} token arrays of 1 to 20 ids, from a seed drawn now. */
  public static List<int[]> randomTokens(int rows) {
    TokenGenerator generator =
        new TokenGenerator(ThreadLocalRandom.current().nextLong(), 1, 20, VOCAB);
    List<int[]> tokens = new ArrayList<>();
    for (long id = 0; id < rows; id++) {
      tokens.add(generator.tokens(id));
    }
    return tokens;
  }

  /** Row i: id i (bigint), the tokens; then rows 1000 (empty array) and 1001 (null). */
  public static Dataset<Row> table(
      SparkSession spark, List<int[]> tokens, String idColumn, String tokensColumn) {
    return table(spark, tokens, idColumn, tokensColumn, 3);
  }

  /** {@link #table(SparkSession, List, String, String)} in {@code partitions} partitions. */
  public static Dataset<Row> table(
      SparkSession spark,
      List<int[]> tokens,
      String idColumn,
      String tokensColumn,
      int partitions) {
    StructType schema =
        new StructType()
            .add(idColumn, DataTypes.LongType, false)
            .add(tokensColumn, DataTypes.createArrayType(DataTypes.IntegerType, false), true);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < tokens.size(); i++) {
      rows.add(RowFactory.create((long) i, tokens.get(i)));
    }
    rows.add(RowFactory.create(1000L, new int[0]));
    rows.add(RowFactory.create(1001L, null));
    return spark.createDataFrame(rows, schema).repartition(partitions);
  }

  /**
   * The pipeline tests' row {@code id}: 1 to 24 generated tokens; rows 0 and 1 keep one token, the
   * shortest sequence attention sees.
   */
  public static int[] pipelineRow(long id) {
    int[] row = new TokenGenerator(13, 1, 24, VOCAB).tokens(id);
    return id < 2 ? java.util.Arrays.copyOf(row, 1) : row;
  }

  /** The reference forward's embedding of each row, by row index. */
  public static Map<Long, float[]> embeddings(Path model, List<int[]> tokens) {
    Map<Long, float[]> out = new HashMap<>();
    forEachRow(model, tokens, (id, head, states) -> out.put(id, head.embedding(states, 0)));
    return out;
  }

  /** The reference forward's score of each row, by row index. */
  public static Map<Long, OutputHead.Score> scores(Path model, List<int[]> tokens) {
    Map<Long, OutputHead.Score> out = new HashMap<>();
    forEachRow(
        model,
        tokens,
        (id, head, states) -> out.put(id, head.score(states, 0, tokens.get((int) (long) id))));
    return out;
  }

  /** ‖actual − expected‖ / ‖expected‖. */
  public static double relativeError(float[] actual, float[] expected) {
    assertThat(actual).isNotNull().hasSameSizeAs(expected);
    double diff = 0;
    double norm = 0;
    for (int i = 0; i < expected.length; i++) {
      diff += Math.pow(actual[i] - expected[i], 2);
      norm += Math.pow(expected[i], 2);
    }
    return Math.sqrt(diff / norm);
  }

  /** A run's embedding output (columns id, embedding) by id; null for a row without tokens. */
  public static Map<Long, float[]> embeddingsById(Dataset<Row> rows) {
    Map<Long, float[]> out = new HashMap<>();
    for (Row row : rows.collectAsList()) {
      out.put(row.getLong(0), floats(row, 1));
    }
    return out;
  }

  /** A float array column value, or null. */
  public static float[] floats(Row row, int column) {
    if (row.isNullAt(column)) {
      return null;
    }
    List<Float> values = row.getList(column);
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }

  private interface RowOutput {
    void accept(long id, OutputHead head, FinalHidden states);
  }

  private static void forEachRow(Path model, List<int[]> tokens, RowOutput output) {
    try (MoeModel opened = MoeModel.open(model)) {
      ReferenceForward forward =
          new ReferenceForward(opened, opened.loadDense(), new CpuExpertBackend());
      for (int i = 0; i < tokens.size(); i++) {
        output.accept(i, forward.head(), forward.run(List.of(tokens.get(i))));
      }
    }
  }
}
