package dev.sparkmoe.spark.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.spark.pipeline.MoeInference;
import dev.sparkmoe.spark.pipeline.ScalarService;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scalar model functions through the expert service ({@code mode=service} forces it for a model
 * that fits in-task): the query's servers start when the operator executes and stop when the query
 * ends, also when it fails; the numbers equal {@code moe infer --mode service} on the same rows,
 * f32 on the CPU backend, so bit for bit, with a filter before and a join and a LIMIT after.
 */
class ModelCallServiceTest {
  private static final int ROWS = 30;
  private static final int CORES = 4;
  private static final String SERVICE = "mode=service; slots=2; batch-rows=8";

  @TempDir static Path temp;
  private static SparkSession spark;
  private static Path model;
  private static Map<Long, Double> scores;
  private static Map<Long, float[]> embeddings;

  @BeforeAll
  static void setUp() {
    spark = SqlTestSession.withExtensionConf("ModelCallServiceTest", temp.resolve("wh"), CORES);
    model = ModelFixtures.tinyMixtral(temp.resolve("model"));
    InferenceFixtures.table(spark, InferenceFixtures.randomTokens(ROWS), "id", "tokens")
        .write()
        .parquet(temp.resolve("docs").toString());
    spark.read().parquet(temp.resolve("docs").toString()).createOrReplaceTempView("docs");
    spark
        .sql("SELECT id, concat('label-', id) AS label FROM range(0, 1002, 2)")
        .createOrReplaceTempView("labels");
    MoeInference served =
        MoeInference.of(model.toString()).placement("shared-layers").slots(2).mode("service");
    scores = new HashMap<>();
    for (Row row : served.kind("score").run(spark.table("docs")).rows().collectAsList()) {
      scores.put(row.getLong(0), row.isNullAt(1) ? null : row.getDouble(1));
    }
    embeddings =
        InferenceFixtures.embeddingsById(served.kind("embedding").run(spark.table("docs")).rows());
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  @Test
  void aQueryThroughTheServiceEqualsMoeInferWithAFilterBeforeAndAJoinAndLimitAfter() {
    String query =
        "SELECT s.id, s.score, s.embedding, l.label FROM (SELECT id, moe_score('%1$s', tokens,"
            + " '%2$s') AS score, moe_embed('%1$s', tokens, '%2$s') AS embedding FROM docs WHERE"
            + " id %% 3 <> 0) s JOIN labels l ON s.id = l.id ORDER BY s.id LIMIT 8";
    assertThat(explain(query))
        .as("EXPLAIN names the exchange")
        .contains("BatchModelCalls")
        .contains("exchange=service, placement=shared-layers, servers=2");
    List<Row> rows = sql(query, SERVICE).collectAsList();
    assertThat(rows)
        .extracting(r -> r.getLong(0))
        .as("ids not divisible by 3 that have an even label, the first 8")
        .containsExactly(2L, 4L, 8L, 10L, 14L, 16L, 20L, 22L);
    for (Row row : rows) {
      long id = row.getLong(0);
      assertThat(row.getDouble(1))
          .as("score of row %d vs moe infer --mode service", id)
          .isEqualTo(scores.get(id));
      assertThat(InferenceFixtures.floats(row, 2))
          .as("embedding of row %d vs moe infer --mode service", id)
          .isEqualTo(embeddings.get(id));
      assertThat(row.getString(3)).isEqualTo("label-" + id);
    }
    awaitServersStopped();
  }

  @Test
  void nullAndEmptyRowsGiveNullThroughTheService() {
    List<Row> rows =
        sql(
                "SELECT id, moe_score('%s', tokens, '%s') FROM docs WHERE id >= 1000 ORDER BY id",
                SERVICE)
            .collectAsList();
    assertThat(rows).extracting(r -> r.isNullAt(1)).containsExactly(true, true);
    awaitServersStopped();
  }

  @Test
  void aFailingRowFailsTheQueryAndTheServersStop() {
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType, false)
            .add("tokens", DataTypes.createArrayType(DataTypes.IntegerType, false), true);
    List<Row> rows = new ArrayList<>();
    for (long id = 0; id < 6; id++) {
      rows.add(RowFactory.create(id, id == 4 ? new int[] {3, 600, 5} : new int[] {1, 2, 3}));
    }
    spark.createDataFrame(rows, schema).createOrReplaceTempView("bad");
    assertThatThrownBy(
            () -> sql("SELECT id, moe_score('%s', tokens, '%s') FROM bad", SERVICE).collectAsList())
        .rootCause()
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid token id 600 in row 4 at position 1 (expected: 0 <= id < 512); fix the row,"
                + " or pass the option 'on-row-error=skip' for a NULL result");
    awaitServersStopped();
  }

  @Test
  void serviceOptionsThatCannotRunFailAtAnalysis() {
    assertThatThrownBy(
            () -> sql("SELECT moe_score('%s', tokens, 'mode=service; slots=4') FROM docs"))
        .hasMessageContaining(
            "Cannot run mode service: it needs 5 task slots at once (4 expert servers + 1 owner)"
                + " and the cluster has 4");
    assertThatThrownBy(
            () ->
                sql("SELECT moe_score('%s', tokens, 'mode=service; placement=in-task') FROM docs"))
        .hasMessageContaining("Invalid mode service with placement in-task");
    assertThatThrownBy(() -> sql("SELECT moe_score('%s', tokens, 'mode=shuffle') FROM docs"))
        .hasMessageContaining(
            "Invalid mode for a scalar model function: shuffle (expected: auto or service;");
  }

  /**
   * The barrier job ends once the listener saw the execution end: no service left and no active
   * job. A bounded wait for an asynchronous stop, not a timing assertion.
   */
  private static void awaitServersStopped() {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (System.nanoTime() < deadline
        && (ScalarService.running() > 0
            || spark.sparkContext().statusTracker().getActiveJobIds().length > 0)) {
      Thread.onSpinWait();
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    assertThat(ScalarService.running()).as("expert services still running").isZero();
    assertThat(spark.sparkContext().statusTracker().getActiveJobIds())
        .as("active jobs (the servers' barrier job) after the query")
        .isEmpty();
  }

  private static String explain(String query) {
    return String.join(
        "\n", sql("EXPLAIN " + query, SERVICE).as(Encoders.STRING()).collectAsList());
  }

  private static org.apache.spark.sql.Dataset<Row> sql(String template, Object... more) {
    Object[] args = new Object[more.length + 1];
    args[0] = model;
    System.arraycopy(more, 0, args, 1, more.length);
    return spark.sql(String.format(template, args));
  }
}
