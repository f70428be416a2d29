package dev.sparkmoe.spark.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.forward.OutputHead;
import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.spark.SparkTestSession;
import dev.sparkmoe.spark.sql.InferenceFixtures;
import dev.sparkmoe.spark.sql.MoeSparkExtensions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.apache.spark.SparkStageInfo;
import org.apache.spark.SparkStatusTracker;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.SparkSessionExtensionsProvider;
import org.apache.spark.sql.sources.DataSourceRegister;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code format("moe")} over a view, a Parquet path and a {@code datasets} folder, against the
 * reference forward, in a session with no spark-moe settings.
 */
class MoeSourceTest {
  private static final int ROWS = 20;

  @TempDir static Path temp;
  private static SparkSession spark;
  private static Path model;
  private static List<int[]> tokens;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.start("MoeSourceTest");
    model = ModelFixtures.tinyMixtral(temp.resolve("model"));
    tokens = InferenceFixtures.randomTokens(ROWS);
    InferenceFixtures.table(spark, tokens, "id", "tokens").createOrReplaceTempView("docs");
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  @Test
  void scoresAView() {
    Dataset<Row> out =
        moe().option("input", "docs").option("kind", "score").option("partitions", "2").load();
    assertThat(out.columns()).containsExactly("id", "score", "num_tokens");
    Map<Long, OutputHead.Score> reference = InferenceFixtures.scores(model, tokens);
    List<Row> rows = out.collectAsList();
    assertThat(rows).hasSize(ROWS + 2);
    for (Row row : rows) {
      OutputHead.Score expected = reference.get(row.getLong(0));
      if (expected == null) {
        assertThat(row.isNullAt(1)).as("row %d has no tokens", row.getLong(0)).isTrue();
        continue;
      }
      assertThat(Math.abs(row.getDouble(1) - expected.logLikelihood()))
          .as("row %d: within 1e-5 relative, or absolute below 1", row.getLong(0))
          .isLessThanOrEqualTo(1e-5 * Math.max(1, Math.abs(expected.logLikelihood())));
      assertThat(row.getInt(2)).isEqualTo(expected.numTokens());
    }
  }

  @Test
  void embedsAParquetPath() {
    String path = temp.resolve("docs.parquet").toString();
    spark.table("docs").write().parquet(path);
    Dataset<Row> out = moe().option("placement", "colocate:4").option("slots", "4").load(path);
    assertEmbeddingsMatch(out.collectAsList(), "id", ROWS + 2);
  }

  @Test
  void embedsADatasetsFolder() {
    Path corpora = ArrowCorpora.write(tokens, temp.resolve("corpora"));
    Dataset<Row> out =
        moe()
            .option("input", corpora.resolve("hf").toString())
            .option("input-format", "moe-tokens")
            .option("input.max-partition-bytes", "1")
            .option("tokens-column", "input_ids")
            .load();
    assertThat(out.columns()).containsExactly("id", "embedding");
    assertEmbeddingsMatch(out.collectAsList(), "id", ROWS);
  }

  @Test
  void actionsDoNotRunTheModelAgain() {
    Dataset<Row> out = moe().option("input", "docs").option("kind", "next-token").load();
    spark.sparkContext().setJobGroup("moe-after-load", "actions only", false);
    try {
      out.count();
      out.collectAsList();
    } finally {
      spark.sparkContext().clearJobGroup();
    }
    SparkStatusTracker tracker = spark.sparkContext().statusTracker();
    List<String> ran = new ArrayList<>();
    for (int job : tracker.getJobIdsForGroup("moe-after-load")) {
      for (int stage : tracker.getJobInfo(job).get().stageIds()) {
        SparkStageInfo info = tracker.getStageInfo(stage).get();
        if (info.numCompletedTasks() > 0) {
          ran.add(info.name());
        }
      }
    }
    assertThat(ran)
        .as("stages that ran tasks: the actions' own, none of the pipeline's")
        .isNotEmpty()
        .allMatch(name -> name.startsWith("count at") || name.startsWith("collectAsList at"));
  }

  @Test
  void badOptions() {
    assertThatThrownBy(() -> spark.read().format("moe").option("input", "docs").load())
        .hasMessage(
            "Invalid options of format moe: model is missing (expected: option(\"model\", <the"
                + " model folder>))");
    assertThatThrownBy(() -> moe().load())
        .hasMessage(
            "Invalid options of format moe: input is missing (expected: option(\"input\", <table,"
                + " view or path>) or load(<path>))");
    assertThatThrownBy(() -> moe().option("input", "docs").option("slot", "2").load())
        .hasMessage(
            "Invalid option of format moe: slot (expected: one of model, input, kind,"
                + " input-format, placement, mode, service.micro-batches, service.gather-tokens,"
                + " service.gather-micros, service.max-in-flight, service.queue-capacity,"
                + " service.request-timeout-ms, service.connect-timeout-ms,"
                + " service.max-reconnects, slots, partitions, activation-dtype, compute-dtype,"
                + " backend, id-column, tokens-column, text-column, tokenizer, on-row-error,"
                + " wave-rows, sample-rows, replicas, capacity-factor, data-parallel, expert-tp,"
                + " slot-memory, max-new-tokens, min-new-tokens, temperature, top-k, top-p, min-p,"
                + " seed, stop-token-ids, ignore-eos, kv-cache-memory, on-invalid-token, or"
                + " input.<option of the input format>)");
    assertThatThrownBy(() -> moe().option("input", "docs").load("/elsewhere"))
        .hasMessage(
            "Invalid input of format moe: both option input (docs) and load(/elsewhere) are given"
                + " (expected: one)");
    Path nowhere = temp.resolve("nowhere");
    assertThatThrownBy(() -> moe().load(nowhere.toString()))
        .hasMessage(
            "Cannot find input %s of format moe: no table or view of that name, and no file or"
                + " folder at that path",
            nowhere);
    assertThatThrownBy(
            () ->
                spark
                    .read()
                    .format("moe")
                    .option("model", "/no/model")
                    .option("input", "docs")
                    .load())
        .hasMessage(
            "Cannot load model /no/model: not a directory (expected: a folder with config.json and"
                + " model.safetensors)");
    assertThatThrownBy(() -> moe().option("input", "docs").option("id-column", "doc").load())
        .hasMessage(
            "Cannot find id column doc in docs (columns: id, tokens); name it with the option"
                + " id-column");
  }

  @Test
  void serviceFilesRegisterTheSourcesAndTheExtension() {
    assertThat(ServiceLoader.load(DataSourceRegister.class).stream().map(p -> p.type().getName()))
        .contains(MoeSource.class.getName(), ArrowTokensSource.class.getName());
    assertThat(
            ServiceLoader.load(SparkSessionExtensionsProvider.class).stream()
                .map(p -> p.type().getName()))
        .contains(MoeSparkExtensions.class.getName());
    assertThat(spark.conf().getOption("spark.sql.extensions").isDefined())
        .as("this session does not name the extension")
        .isFalse();
    assertThat(spark.sql("SELECT sum(moe_num_tokens(tokens)) FROM docs").first().getLong(0))
        .isEqualTo(tokens.stream().mapToLong(t -> t.length).sum());
  }

  private static DataFrameReader moe() {
    return spark.read().format("moe").option("model", model.toString());
  }

  private static void assertEmbeddingsMatch(List<Row> rows, String idColumn, int count) {
    Map<Long, float[]> reference = InferenceFixtures.embeddings(model, tokens);
    assertThat(rows).hasSize(count);
    for (Row row : rows) {
      long id = row.getLong(row.fieldIndex(idColumn));
      float[] actual = InferenceFixtures.floats(row, row.fieldIndex("embedding"));
      if (id >= 1000) {
        assertThat(actual).as("row %d has no tokens", id).isNull();
      } else {
        assertThat(InferenceFixtures.relativeError(actual, reference.get(id)))
            .as("row %d", id)
            .isLessThan(1e-5);
      }
    }
  }
}
