package dev.sparkmoe.spark.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkmoe.core.forward.OutputHead;
import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.spark.pipeline.MoeInference;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SQL functions in a session that names the extension in {@code spark.sql.extensions} (the
 * service file adds it too), against the reference forward and the DataFrame API.
 */
class MoeSqlFunctionsTest {
  private static final int ROWS = 24;

  @TempDir static Path temp;
  private static SparkSession spark;
  private static Path model;
  private static List<int[]> tokens;

  @BeforeAll
  static void setUp() {
    spark = SqlTestSession.withExtensionConf("MoeSqlFunctionsTest", temp.resolve("warehouse"));
    model = ModelFixtures.tinyMixtral(temp.resolve("model"));
    tokens = InferenceFixtures.randomTokens(ROWS);
    InferenceFixtures.table(spark, tokens, "id", "tokens").createOrReplaceTempView("docs");
    InferenceFixtures.table(spark, tokens, "doc", "toks")
        .selectExpr("concat('d', doc) AS doc", "toks")
        .createOrReplaceTempView("renamed");
    spark
        .sql("SELECT id, cast(tokens AS string) AS tokens FROM docs")
        .createOrReplaceTempView("text");
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  @Test
  void moeInferMatchesTheReferenceForward() {
    List<Row> rows =
        sql("SELECT * FROM moe_infer('%s', 'docs', 'embedding',"
                + " 'placement=one-per-gpu; slots=16; partitions=2')")
            .collectAsList();
    Map<Long, float[]> reference = InferenceFixtures.embeddings(model, tokens);
    assertThat(rows).hasSize(ROWS + 2);
    for (Row row : rows) {
      long id = row.getLong(0);
      if (id >= 1000) {
        assertThat(row.isNullAt(1)).as("row %d has no tokens", id).isTrue();
      } else {
        assertThat(
                InferenceFixtures.relativeError(
                    InferenceFixtures.floats(row, 1), reference.get(id)))
            .as("row %d", id)
            .isLessThan(1e-5);
      }
    }
  }

  @Test
  void scoresWithRenamedColumnsAndStringIds() {
    Dataset<Row> out =
        sql(
            "SELECT * FROM moe_infer('%s', 'renamed', 'score', 'id-column=doc;tokens-column=toks')");
    assertThat(out.columns()).containsExactly("doc", "score", "num_tokens");
    Map<Long, OutputHead.Score> reference = InferenceFixtures.scores(model, tokens);
    Map<String, Row> byId = new HashMap<>();
    out.collectAsList().forEach(row -> byId.put(row.getString(0), row));
    for (Map.Entry<Long, OutputHead.Score> expected : reference.entrySet()) {
      Row row = byId.get("d" + expected.getKey());
      assertThat(row.getDouble(1))
          .as("score of row %d: sum of log p(token_t | tokens_<t)", expected.getKey())
          .isCloseTo(
              expected.getValue().logLikelihood(),
              org.assertj.core.data.Percentage.withPercentage(1e-3));
      assertThat(row.getInt(2)).isEqualTo(expected.getValue().numTokens());
    }
  }

  @Test
  void sqlGivesTheDataFrameApiResultBitForBit() {
    Map<Long, float[]> viaSql =
        byId(sql("SELECT * FROM moe_infer('%s', 'docs', 'embedding', 'partitions=2;slots=2')"));
    Map<Long, float[]> viaApi =
        byId(
            MoeInference.of(model.toString())
                .partitions(2)
                .slots(2)
                .transform(spark.table("docs")));
    assertThat(viaSql).hasSameSizeAs(viaApi);
    viaApi.forEach(
        (id, expected) -> assertThat(viaSql.get(id)).as("row %d", id).isEqualTo(expected));
  }

  @Test
  void pipelineKeysPassThroughToTheInference() {
    Map<Long, float[]> inWaves =
        byId(
            sql(
                "SELECT * FROM moe_infer('%s', 'docs', 'embedding',"
                    + " 'partitions=2;slots=2;wave-rows=3;replicas=auto')"));
    Map<Long, float[]> whole =
        byId(sql("SELECT * FROM moe_infer('%s', 'docs', 'embedding', 'partitions=2;slots=2')"));
    assertThat(inWaves).hasSameSizeAs(whole);
    whole.forEach(
        (id, expected) -> assertThat(inWaves.get(id)).as("row %d", id).isEqualTo(expected));
  }

  @Test
  void thePipelineRunsWhenTheQueryIsAnalyzed() {
    spark.sparkContext().setJobGroup("moe-eager", "analysis only", false);
    try {
      sql("SELECT * FROM moe_infer('%s', 'docs', 'next-token')");
    } finally {
      spark.sparkContext().clearJobGroup();
    }
    assertThat(spark.sparkContext().statusTracker().getJobIdsForGroup("moe-eager"))
        .as("jobs run before any action")
        .isNotEmpty();
  }

  @Test
  void createTableAsSelectKeepsTheResults() {
    sql("CREATE TABLE scores USING parquet AS SELECT * FROM moe_infer('%s', 'docs', 'score')");
    assertThat(spark.sql("SELECT count(*), count(score), sum(num_tokens) FROM scores").first())
        .isEqualTo(
            RowFactory.create(
                (long) ROWS + 2, (long) ROWS, tokens.stream().mapToLong(t -> t.length).sum()));
  }

  @Test
  void numTokensCountsTokens() {
    List<Row> rows = spark.sql("SELECT id, moe_num_tokens(tokens) FROM docs").collectAsList();
    assertThat(spark.sql("SELECT moe_num_tokens(tokens) FROM docs").columns())
        .containsExactly("moe_num_tokens(tokens)");
    Map<Long, Integer> counts = new HashMap<>();
    rows.forEach(row -> counts.put(row.getLong(0), row.isNullAt(1) ? null : row.getInt(1)));
    for (int i = 0; i < ROWS; i++) {
      assertThat(counts.get((long) i)).as("row %d", i).isEqualTo(tokens.get(i).length);
    }
    assertThat(counts.get(1000L)).as("empty array").isZero();
    assertThat(counts.get(1001L)).as("NULL array").isNull();
    long total = tokens.stream().mapToLong(t -> t.length).sum();
    assertThat(spark.sql("SELECT sum(moe_num_tokens(tokens)) FROM docs").first().getLong(0))
        .isEqualTo(total);
    assertThat(
            spark
                .sql("SELECT count(*) FROM docs WHERE moe_num_tokens(tokens) > 10")
                .first()
                .getLong(0))
        .isEqualTo(tokens.stream().filter(t -> t.length > 10).count());
  }

  @Test
  void modelInfoReadsTheConfig() throws IOException {
    JsonNode config = new ObjectMapper().readTree(model.resolve("config.json").toFile());
    Row info = sql("SELECT moe_model_info('%s') AS info").first().getStruct(0);
    assertThat(info.<String>getAs("architecture"))
        .isEqualTo(config.path("architectures").get(0).asText());
    assertThat(info.<Integer>getAs("num_layers"))
        .isEqualTo(config.path("num_hidden_layers").asInt());
    assertThat(info.<Integer>getAs("num_experts"))
        .isEqualTo(config.path("num_local_experts").asInt());
    assertThat(info.<Integer>getAs("top_k")).isEqualTo(config.path("num_experts_per_tok").asInt());
    assertThat(info.<Integer>getAs("hidden_size")).isEqualTo(config.path("hidden_size").asInt());
    assertThat(info.<Integer>getAs("vocab_size")).isEqualTo(config.path("vocab_size").asInt());
    assertThat(info.<Integer>getAs("total_experts"))
        .isEqualTo(
            config.path("num_hidden_layers").asInt() * config.path("num_local_experts").asInt());
    assertThat(info.<Long>getAs("expert_parameters"))
        .as("w1, w2, w3: 3 × hidden × intermediate")
        .isEqualTo(
            3L * config.path("hidden_size").asInt() * config.path("intermediate_size").asInt());
    assertThat(sql("SELECT moe_model_info('%s').num_experts").first().getInt(0))
        .isEqualTo(config.path("num_local_experts").asInt());
  }

  @Test
  void registerAddsTheFunctionsToASessionWithoutThem() {
    SparkSession bare = spark.newSession();
    bare.sessionState().functionRegistry().dropFunction(new FunctionIdentifier("moe_num_tokens"));
    bare.sessionState().functionRegistry().dropFunction(new FunctionIdentifier("moe_model_info"));
    bare.sessionState().tableFunctionRegistry().dropFunction(new FunctionIdentifier("moe_infer"));
    bare.sessionState().functionRegistry().dropFunction(new FunctionIdentifier("moe_score"));
    assertThatThrownBy(() -> bare.sql("SELECT moe_num_tokens(array(1))"))
        .hasMessageStartingWith("[UNRESOLVED_ROUTINE] Cannot resolve function `moe_num_tokens`");

    MoeFunctions.register(bare);
    MoeFunctions.register(bare);

    assertThat(bare.sql("SELECT moe_num_tokens(array(4, 5, 6))").first().getInt(0)).isEqualTo(3);
    assertThat(
            bare.sql(String.format("SELECT moe_model_info('%s').num_layers", model))
                .first()
                .getInt(0))
        .isEqualTo(2);
    InferenceFixtures.table(bare, tokens.subList(0, 4), "id", "tokens")
        .createOrReplaceTempView("few");
    assertThat(
            bare.sql(String.format("SELECT * FROM moe_infer('%s', 'few', 'next-token')", model))
                .count())
        .isEqualTo(6);
    Map<Long, Double> inferred = new HashMap<>();
    bare.sql(
            String.format(
                "SELECT * FROM moe_infer('%s', 'few', 'score', 'placement=in-task')", model))
        .collectAsList()
        .forEach(r -> inferred.put(r.getLong(0), r.isNullAt(1) ? null : r.getDouble(1)));
    for (Row row :
        bare.sql(String.format("SELECT id, moe_score('%s', tokens) FROM few", model))
            .collectAsList()) {
      assertThat(row.isNullAt(1) ? null : row.getDouble(1))
          .as("moe_score of row %d after register, against moe_infer in-task", row.getLong(0))
          .isEqualTo(inferred.get(row.getLong(0)));
    }
    assertThat(bare.experimental().extraOptimizations().size())
        .as("register adds the batching rule once")
        .isEqualTo(1);
  }

  @Test
  void describeFunctionShowsTheUsage() {
    List<String> lines =
        spark
            .sql("DESCRIBE FUNCTION EXTENDED moe_infer")
            .as(org.apache.spark.sql.Encoders.STRING())
            .collectAsList();
    assertThat(String.join("\n", lines))
        .contains("moe_infer(model_path, table, kind[, options])")
        .contains(
            "SELECT * FROM moe_infer('/models/m', 'docs', 'score', 'placement=one-per-gpu');");
  }

  @Test
  void unknownModelPath() {
    assertThatThrownBy(() -> spark.sql("SELECT * FROM moe_infer('/no/model', 'docs', 'score')"))
        .hasMessage(
            "Cannot load model /no/model: not a directory (expected: a folder with config.json and"
                + " model.safetensors)");
  }

  @Test
  void unknownTable() {
    assertThatThrownBy(() -> sql("SELECT * FROM moe_infer('%s', 'nope', 'score')"))
        .hasMessage(
            "Cannot find table or view nope for moe_infer: the session catalog has none of that"
                + " name (create it, or a temporary view, first)");
  }

  @Test
  void wrongColumnType() {
    assertThatThrownBy(() -> sql("SELECT * FROM moe_infer('%s', 'text', 'score')"))
        .hasMessage("Invalid type of tokens column tokens: string (expected: array<int>)");
  }

  @Test
  void missingColumn() {
    assertThatThrownBy(() -> sql("SELECT * FROM moe_infer('%s', 'renamed', 'score')"))
        .hasMessage(
            "Cannot find id column id in renamed (columns: doc, toks); name it with the option"
                + " id-column");
  }

  @Test
  void badOptions() {
    assertThatThrownBy(() -> sql("SELECT * FROM moe_infer('%s', 'docs', 'score', 'slot=2')"))
        .hasMessage(
            "Invalid option of moe_infer: slot (expected: one of placement, mode,"
                + " service.micro-batches, service.gather-tokens, service.gather-micros,"
                + " service.max-in-flight, service.queue-capacity, service.request-timeout-ms,"
                + " service.connect-timeout-ms, service.max-reconnects, slots, partitions,"
                + " activation-dtype, compute-dtype, backend, id-column, tokens-column,"
                + " text-column, tokenizer, on-row-error, wave-rows, sample-rows, replicas,"
                + " capacity-factor, data-parallel, expert-tp, slot-memory, max-new-tokens,"
                + " min-new-tokens, temperature, top-k, top-p, min-p, seed, stop-token-ids,"
                + " ignore-eos, kv-cache-memory, on-invalid-token)");
    assertThatThrownBy(() -> sql("SELECT * FROM moe_infer('%s', 'docs', 'score', 'wave-rows=0')"))
        .hasMessage("Invalid wave-rows: 0 (expected: a positive integer)");
    assertThatThrownBy(() -> sql("SELECT * FROM moe_infer('%s', 'docs', 'score', 'slots=two')"))
        .hasMessage("Invalid slots: two (expected: a positive integer)");
    assertThatThrownBy(() -> sql("SELECT * FROM moe_infer('%s', 'docs', 'score', 'slots')"))
        .hasMessage(
            "Invalid option of moe_infer: 'slots' (expected: key=value, entries separated by ';')");
    assertThatThrownBy(() -> sql("SELECT * FROM moe_infer('%s', 'docs', 'scores')"))
        .hasMessage(
            "Invalid output kind: scores (expected: one of embedding, next-token, score, hidden,"
                + " generate)");
  }

  @Test
  void badArguments() {
    assertThatThrownBy(() -> sql("SELECT * FROM moe_infer('%s', 'docs')"))
        .hasMessage(
            "Invalid number of arguments to moe_infer: 2 (expected: moe_infer('<model path>',"
                + " '<table or view>', '<kind>'[, '<key=value;...>']))");
    assertThatThrownBy(() -> spark.sql("SELECT * FROM moe_infer(1, 'docs', 'score')"))
        .hasMessage(
            "Invalid argument 1 of moe_infer: 1 (expected: a constant string, the model path)");
    assertThatThrownBy(() -> spark.sql("SELECT moe_num_tokens(id) FROM docs"))
        .hasMessage(
            "Invalid argument of moe_num_tokens: id of type bigint (expected: array<int>, a token"
                + " column)");
  }

  @Test
  void failuresInsideTheRunComeBackAsOneMessage() {
    spark.sql("SELECT 7L AS id, array(1, 600) AS tokens").createOrReplaceTempView("bad_tokens");
    assertThatThrownBy(() -> sql("SELECT * FROM moe_infer('%s', 'bad_tokens', 'score')"))
        .hasMessage(
            "Cannot run moe_infer: Invalid token id 600 in row 7 at position 1 (expected: 0 <= id"
                + " < 512)");
  }

  private static Dataset<Row> sql(String template) {
    return spark.sql(String.format(template, model));
  }

  private static Map<Long, float[]> byId(Dataset<Row> rows) {
    Map<Long, float[]> out = new HashMap<>();
    rows.collectAsList().forEach(row -> out.put(row.getLong(0), InferenceFixtures.floats(row, 1)));
    return out;
  }
}
