package dev.sparkmoe.spark.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.model.ModelFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
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
 * The scalar model functions through real queries (a filter before, a join after, group by, limit,
 * a failing row), against {@code moe_infer} with placement in-task on the same rows: f32 on the CPU
 * backend, so bit for bit.
 */
class ModelCallFunctionsTest {
  private static final int ROWS = 40;

  @TempDir static Path temp;
  private static SparkSession spark;
  private static Path model;
  private static Map<Long, Double> scores;
  private static Map<Long, float[]> embeddings;
  private static Map<Long, Row> nextTokens;

  @BeforeAll
  static void setUp() {
    spark = SqlTestSession.withExtensionConf("ModelCallFunctionsTest", temp.resolve("warehouse"));
    model = ModelFixtures.tinyMixtral(temp.resolve("model"));
    // Parquet, not local rows: Spark would evaluate a filter over local rows while optimizing.
    InferenceFixtures.table(spark, InferenceFixtures.randomTokens(ROWS), "id", "tokens")
        .selectExpr("id", "IF(id % 2 = 0, 'en', 'fr') AS lang", "tokens")
        .write()
        .parquet(temp.resolve("docs").toString());
    spark.read().parquet(temp.resolve("docs").toString()).createOrReplaceTempView("docs");
    spark
        .sql("SELECT id, concat('label-', id) AS label FROM range(0, 1002, 3)")
        .createOrReplaceTempView("labels");
    scores = new HashMap<>();
    for (Row row : infer("score").collectAsList()) {
      scores.put(row.getLong(0), row.isNullAt(1) ? null : row.getDouble(1));
    }
    embeddings = InferenceFixtures.embeddingsById(infer("embedding"));
    nextTokens = new HashMap<>();
    for (Row row : infer("next-token").collectAsList()) {
      nextTokens.put(row.getLong(0), row);
    }
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  @Test
  void theThreeFunctionsGiveMoeInfersNumbersBitForBit() {
    List<Row> rows =
        sql(
                "SELECT id, moe_score('%1$s', tokens, '%2$s') AS score,"
                    + " moe_embed('%1$s', tokens, '%2$s') AS embedding,"
                    + " moe_next_token('%1$s', tokens, '%2$s') AS next FROM docs",
                "batch-rows=4")
            .collectAsList();
    assertThat(rows).hasSize(ROWS + 2);
    for (Row row : rows) {
      long id = row.getLong(0);
      assertThat(row.isNullAt(1) ? null : row.getDouble(1))
          .as("score of row %d", id)
          .isEqualTo(scores.get(id));
      assertThat(InferenceFixtures.floats(row, 2))
          .as("embedding of row %d", id)
          .isEqualTo(embeddings.get(id));
      Row expected = nextTokens.get(id);
      if (expected.isNullAt(1)) {
        assertThat(row.isNullAt(3)).as("next token of row %d (no tokens)", id).isTrue();
      } else {
        Row next = row.getStruct(3);
        assertThat(next.getInt(0)).as("next token of row %d", id).isEqualTo(expected.getInt(1));
        assertThat(next.getDouble(1)).as("logprob of row %d", id).isEqualTo(expected.getDouble(2));
      }
    }
    assertThat(scores.get(1000L)).as("moe_infer: an empty row has a null score").isNull();
    assertThat(scores.get(1001L)).as("moe_infer: a null row has a null score").isNull();
  }

  @Test
  void moeGenerateGivesMoeInfersGenerationsSeededAndGreedy() {
    for (String sampling :
        List.of("max-new-tokens=5; temperature=0.8; top-p=0.9; seed=7", "max-new-tokens=4")) {
      Map<Long, Row> expected = new HashMap<>();
      for (Row row :
          sql(
                  "SELECT * FROM moe_infer('%s', 'docs', 'generate', 'placement=in-task; %s')",
                  sampling)
              .collectAsList()) {
        expected.put(row.getLong(0), row);
      }
      List<Row> rows =
          sql(
                  "SELECT id, moe_generate('%s', tokens, '%s; batch-rows=8') AS g FROM docs"
                      + " WHERE lang = 'en' OR id >= 1000",
                  sampling)
              .collectAsList();
      assertThat(rows).hasSize(ROWS / 2 + 2);
      assertThat(rows.stream().filter(r -> !r.isNullAt(1)).mapToInt(r -> r.getStruct(1).getInt(4)))
          .as("%s: new tokens over the rows", sampling)
          .anyMatch(n -> n > 0);
      for (Row row : rows) {
        long id = row.getLong(0);
        Row want = expected.get(id);
        if (want.isNullAt(want.fieldIndex("output_tokens"))) {
          assertThat(row.isNullAt(1)).as("%s: row %d has no tokens", sampling, id).isTrue();
          continue;
        }
        Row g = row.getStruct(1);
        for (String column :
            List.of(
                "output_tokens",
                "output_logprobs",
                "finish_reason",
                "num_input_tokens",
                "num_output_tokens")) {
          assertThat(g.<Object>getAs(column))
              .as("%s: %s of row %d vs moe_infer generate", sampling, column, id)
              .isEqualTo(want.<Object>getAs(column));
        }
      }
    }
  }

  @Test
  void moeGenerateThroughTheServiceFailsAtAnalysis() {
    assertThatThrownBy(() -> sql("SELECT moe_generate('%s', tokens, 'mode=service') FROM docs"))
        .hasMessageContaining(
            "Cannot run moe_generate on model "
                + model
                + " through the expert service: scalar"
                + " generation runs in-task only for now");
    assertThatThrownBy(() -> sql("SELECT moe_generate('%s', tokens, 'top-q=3') FROM docs"))
        .hasMessageContaining("Invalid option of moe_generate: top-q (expected: one of placement,")
        .hasMessageContaining("max-new-tokens, min-new-tokens, temperature, top-k, top-p, min-p,");
  }

  @Test
  void aFilterBeforeAndALimit() {
    List<Row> rows =
        sql("SELECT id, moe_score('%s', tokens) FROM docs WHERE lang = 'en' AND id < 1000")
            .collectAsList();
    assertThat(rows).hasSize(ROWS / 2);
    rows.forEach(this::assertScore);
    List<Row> limited =
        sql("SELECT id, moe_score('%s', tokens) FROM docs WHERE id < 1000 ORDER BY id LIMIT 3")
            .collectAsList();
    assertThat(limited).extracting(r -> r.getLong(0)).containsExactly(0L, 1L, 2L);
    limited.forEach(this::assertScore);
  }

  @Test
  void aFilterOnTheResult() {
    double median = scores.values().stream().filter(s -> s != null).sorted().toList().get(ROWS / 2);
    List<Row> rows =
        sql("SELECT id, moe_score('%s', tokens) AS s FROM docs WHERE moe_score('%1$s', tokens) >= "
                + median)
            .collectAsList();
    assertThat(rows)
        .extracting(r -> r.getLong(0))
        .containsExactlyInAnyOrderElementsOf(
            scores.entrySet().stream()
                .filter(e -> e.getValue() != null && e.getValue() >= median)
                .map(Map.Entry::getKey)
                .toList());
    rows.forEach(this::assertScore);
  }

  @Test
  void aJoinAfter() {
    List<Row> rows =
        sql("SELECT s.id, s.score, l.label FROM"
                + " (SELECT id, moe_score('%s', tokens) AS score FROM docs) s"
                + " JOIN labels l ON s.id = l.id")
            .collectAsList();
    assertThat(rows).extracting(r -> r.getLong(0)).allMatch(id -> id % 3 == 0);
    assertThat(rows).hasSize(ROWS / 3 + 1); // ids 0, 3, ..., 39
    for (Row row : rows) {
      assertScore(row);
      assertThat(row.getString(2)).isEqualTo("label-" + row.getLong(0));
    }
  }

  @Test
  void groupByOverTheResults() {
    List<Row> rows =
        sql("SELECT lang, count(moe_score('%s', tokens)) AS n, max(moe_score('%1$s', tokens)) AS"
                + " best FROM docs WHERE id < 1000 GROUP BY lang")
            .collectAsList();
    assertThat(rows).hasSize(2);
    for (Row row : rows) {
      long parity = row.getString(0).equals("en") ? 0 : 1;
      double best =
          scores.entrySet().stream()
              .filter(e -> e.getKey() < 1000 && e.getKey() % 2 == parity)
              .mapToDouble(Map.Entry::getValue)
              .max()
              .orElseThrow();
      assertThat(row.getLong(1)).as("rows of %s", row.getString(0)).isEqualTo(ROWS / 2);
      assertThat(row.getDouble(2)).as("best score of %s", row.getString(0)).isEqualTo(best);
    }
  }

  @Test
  void aCallAfterTheAggregationTakesTheRowByRowPath() {
    String query =
        "SELECT id, moe_score('%s', first(tokens)) AS score FROM docs WHERE id < 1000 GROUP BY id";
    assertThat(explain(query)).doesNotContain("BatchModelCalls");
    List<Row> rows = sql(query).collectAsList();
    assertThat(rows).hasSize(ROWS);
    rows.forEach(this::assertScore);
  }

  @Test
  void explainShowsOneOperatorForCallsOnOneModelAndCodegenAroundIt() {
    Dataset<Row> query =
        sql(
            "SELECT id, moe_score('%1$s', tokens) AS s, moe_embed('%1$s', tokens) AS e,"
                + " moe_next_token('%1$s', tokens).token AS t FROM docs WHERE lang = 'en'");
    query.collectAsList();
    String plan = query.queryExecution().executedPlan().toString(); // with codegen stages
    assertThat(plan.split("BatchModelCalls ", -1)).as(plan).hasSize(2);
    assertThat(plan)
        .contains("BatchModelCalls [moe_score(tokens#")
        .contains("model=" + model + ", placement=in-task, batch-rows=256, backend=cpu")
        .containsPattern("\\*\\(\\d+\\) Project")
        .containsPattern("\\*\\(\\d+\\) Filter");
  }

  @Test
  void aRowWithAnInvalidTokenFailsTheQueryNamingTheRow() {
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType, false)
            .add("tokens", DataTypes.createArrayType(DataTypes.IntegerType, false), true);
    List<Row> rows = new ArrayList<>();
    for (long id = 0; id < 6; id++) {
      rows.add(RowFactory.create(id, id == 4 ? new int[] {3, 600, 5} : new int[] {1, 2, 3}));
    }
    spark.createDataFrame(rows, schema).createOrReplaceTempView("bad");
    assertThatThrownBy(() -> sql("SELECT id, moe_score('%s', tokens) FROM bad").collectAsList())
        .rootCause()
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid token id 600 in row 4 at position 1 (expected: 0 <= id < 512); fix the row,"
                + " or pass the option 'on-row-error=skip' for a NULL result");
    List<Row> skipped =
        sql("SELECT id, moe_score('%s', tokens, 'on-row-error=skip') FROM bad ORDER BY id")
            .collectAsList();
    assertThat(skipped).hasSize(6);
    assertThat(skipped.get(4).isNullAt(1)).as("the invalid row, skipped").isTrue();
    assertThat(skipped.get(0).getDouble(1)).isEqualTo(skipped.get(5).getDouble(1));
  }

  @Test
  void argumentErrorsAtAnalysis() {
    assertThatThrownBy(() -> spark.sql("SELECT moe_score('/no/model', tokens) FROM docs"))
        .hasMessageContaining(
            "Cannot load model /no/model: not a directory (expected: a folder with config.json"
                + " and model.safetensors)");
    assertThatThrownBy(() -> sql("SELECT moe_score('%s', lang) FROM docs"))
        .hasMessageContaining(
            "Invalid argument 2 of moe_score: lang of type string (expected: array<int>, a token"
                + " column)");
    assertThatThrownBy(() -> sql("SELECT moe_embed(lang, tokens) FROM docs"))
        .hasMessageContaining("Invalid argument 1 of moe_embed: docs.lang (expected: a constant")
        .hasMessageContaining("string, the model path)");
    assertThatThrownBy(() -> sql("SELECT moe_next_token('%s', tokens, 'wave-rows=4') FROM docs"))
        .hasMessageContaining(
            "Invalid option of moe_next_token: wave-rows (expected: one of placement, mode, slots,"
                + " service.micro-batches, backend, compute-dtype, on-row-error, batch-rows,"
                + " id-column, on-invalid-token)");
    assertThatThrownBy(() -> sql("SELECT moe_score('%s', tokens, 'mode=shuffle') FROM docs"))
        .hasMessageContaining(
            "Invalid mode for a scalar model function: shuffle (expected: auto or service; the"
                + " shuffle belongs to moe_infer)");
  }

  @Test
  void aModelLargerThanAnExecutorGoesToTheServiceAndFailsInTaskAtAnalysis() throws Exception {
    Path big = temp.resolve("mixtral-8x7b");
    Files.createDirectories(big);
    // Mixtral-8x7B's shape: config.json is all analysis reads.
    Files.writeString(
        big.resolve("config.json"),
        Files.readString(model.resolve("config.json"))
            .replace("\"hidden_size\" : 64", "\"hidden_size\" : 4096")
            .replace("\"intermediate_size\" : 96", "\"intermediate_size\" : 14336")
            .replace("\"num_hidden_layers\" : 2", "\"num_hidden_layers\" : 32")
            .replace("\"num_attention_heads\" : 4", "\"num_attention_heads\" : 32")
            .replace("\"num_key_value_heads\" : 2", "\"num_key_value_heads\" : 8")
            .replace("\"head_dim\" : 16", "\"head_dim\" : 128")
            .replace("\"vocab_size\" : 512", "\"vocab_size\" : 32000"));
    assertThat(
            String.join(
                "\n",
                spark
                    .sql("EXPLAIN SELECT moe_score('" + big + "', tokens) FROM docs")
                    .as(Encoders.STRING())
                    .collectAsList()))
        .as("auto: the model does not fit in-task, so one server per task slot but one")
        .contains("exchange=service, placement=shared-layers, servers=1");
    assertThatThrownBy(
            () ->
                spark.sql("SELECT moe_score('" + big + "', tokens, 'placement=in-task') FROM docs"))
        .hasMessageContaining("Cannot run model " + big + " in-task: its weights take ")
        .hasMessageContaining(
            String.format(
                "MB in f32, more than 60%% of an executor's %d MB",
                Runtime.getRuntime().maxMemory() >> 20))
        .hasMessageContaining("pass 'placement=auto' or 'mode=service' to run its experts on");
  }

  private void assertScore(Row row) {
    long id = row.getLong(0);
    assertThat(row.isNullAt(1) ? null : row.getDouble(1))
        .as("score of row %d, against moe_infer in-task", id)
        .isEqualTo(scores.get(id));
  }

  private static Dataset<Row> infer(String kind) {
    return sql("SELECT * FROM moe_infer('%s', 'docs', '" + kind + "', 'placement=in-task')");
  }

  private static String explain(String query) {
    return String.join("\n", sql("EXPLAIN " + query).as(Encoders.STRING()).collectAsList());
  }

  private static Dataset<Row> sql(String template, Object... more) {
    Object[] args = new Object[more.length + 1];
    args[0] = model;
    System.arraycopy(more, 0, args, 1, more.length);
    return spark.sql(String.format(template, args));
  }
}
