package dev.sparkmoe.benchmarks;

import dev.sparkmoe.core.generate.ModelGenerator;
import dev.sparkmoe.core.generate.ModelSpec;
import dev.sparkmoe.core.generate.TokenGenerator;
import dev.sparkmoe.core.safetensors.DType;
import dev.sparkmoe.spark.sql.MoeSparkExtensions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The same tokens scored through {@code moe_score} (the scalar function, batched by its operator)
 * and through {@code moe_infer(..., 'score', 'placement=in-task')}, in one local Spark session:
 * prints tokens/s of each run, whole query (planning, tasks, collect), and checks that both give
 * the same scores. Measures; asserts nothing about speed.
 *
 * <pre>{@code
 * java -cp <benchmarks jar and dependencies> dev.sparkmoe.benchmarks.ScalarScoreBench [tokens] [repeats]
 * }</pre>
 */
public final class ScalarScoreBench {
  private ScalarScoreBench() {}

  public static void main(String[] args) throws Exception {
    int tokens = args.length > 0 ? Integer.parseInt(args[0]) : 8192;
    int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    Path work = Files.createTempDirectory("scalar-score-bench");
    ModelSpec spec =
        ModelSpec.Preset.TINY.spec().toBuilder()
            .layers(4)
            .experts(16)
            .hidden(256)
            .ffn(704)
            .vocab(4096)
            .heads(8)
            .kvHeads(4)
            .dtype(DType.F32)
            .build();
    new ModelGenerator(spec).writeTo(work.resolve("model"));
    String model = work.resolve("model").toString();
    SparkSession spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("ScalarScoreBench")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.extensions", MoeSparkExtensions.class.getName())
            .getOrCreate();
    int total = table(spark, tokens);
    System.out.printf("%d rows of 16-48 tokens, %d tokens, 2 partitions, local[2]%n", rows, total);
    String scalar = "SELECT id, moe_score('" + model + "', tokens) AS score FROM docs";
    String infer =
        "SELECT id, score FROM moe_infer('" + model + "', 'docs', 'score', 'placement=in-task')";
    List<Row> a = spark.sql(scalar).collectAsList(); // warm-up: experts resident, JIT
    List<Row> b = spark.sql(infer).collectAsList();
    System.out.printf("same scores: %s%n", sameScores(a, b));
    for (int i = 0; i < repeats; i++) {
      System.out.printf(
          "run %d: moe_score %.0f tokens/s, moe_infer in-task %.0f tokens/s%n",
          i + 1, rate(spark, scalar, total), rate(spark, infer, total));
    }
    spark.stop();
  }

  private static int rows;

  private static int table(SparkSession spark, int tokens) {
    TokenGenerator generator = new TokenGenerator(7, 16, 48, 4096);
    List<Row> input = new ArrayList<>();
    int total = 0;
    for (long id = 0; total < tokens; id++) {
      int[] row = generator.tokens(id);
      row = java.util.Arrays.copyOf(row, Math.min(row.length, tokens - total));
      input.add(RowFactory.create(id, row));
      total += row.length;
    }
    rows = input.size();
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType, false)
            .add("tokens", DataTypes.createArrayType(DataTypes.IntegerType, false), false);
    spark.createDataFrame(input, schema).repartition(2).cache().createOrReplaceTempView("docs");
    spark.table("docs").count();
    return total;
  }

  private static double rate(SparkSession spark, String query, int tokens) {
    long start = System.nanoTime();
    spark.sql(query).collectAsList();
    return tokens / ((System.nanoTime() - start) / 1e9);
  }

  private static boolean sameScores(List<Row> a, List<Row> b) {
    java.util.Map<Long, Double> byId = new java.util.HashMap<>();
    b.forEach(r -> byId.put(r.getLong(0), r.getDouble(1)));
    return a.size() == b.size()
        && a.stream().allMatch(r -> byId.get(r.getLong(0)).equals(r.getDouble(1)));
  }
}
