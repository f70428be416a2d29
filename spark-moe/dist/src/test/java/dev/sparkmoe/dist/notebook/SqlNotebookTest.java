package dev.sparkmoe.dist.notebook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.core.generate.ModelGenerator;
import dev.sparkmoe.core.generate.ModelSpec;
import dev.sparkmoe.core.generate.TokenGenerator;
import dev.sparkmoe.dist.ConfTemplates;
import dev.sparkmoe.spark.cli.MoeCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * notebooks/spark-moe-walkthrough.sql, the Databricks SQL notebook, and examples/moe_infer.sql,
 * statement by statement in a session set up as conf/spark-defaults-local-cpu.conf.template says,
 * with the run report of a real {@code moe infer} run over the same table. spark-moe's SQL
 * functions come from its session extension, which registers itself in every new session, as on a
 * cluster with the application jar attached.
 */
class SqlNotebookTest {
  private static final int ROWS = 64;

  @TempDir static Path dir;
  private static SparkSession spark;

  private static Path model;
  private static String tokens;
  private static String jobOutput;

  /** A model, a tokenized table, and a real {@code moe infer} job's output and report over them. */
  @BeforeAll
  static void start() {
    spark =
        ConfTemplates.localSession(
            "spark-defaults-local-cpu.conf.template",
            "sql-notebook",
            Map.of("spark.sql.warehouse.dir", dir.resolve("warehouse").toString()));
    model = dir.resolve("model");
    new ModelGenerator(ModelSpec.Preset.TINY.spec()).writeTo(model);
    // Not "tokens": Spark's ${...} substitution hides values that contain "token".
    tokens = writeTokens(dir.resolve("docs.parquet"));
    jobOutput = dir.resolve("scores.json").toString();
    assertThat(
            MoeCli.execute(
                "infer",
                "--model",
                model.toString(),
                "--input",
                tokens,
                "--output",
                jobOutput,
                "--output-format",
                "json",
                "--kind",
                "score"))
        .isZero();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  void theWalkThroughRunsStatementByStatement() throws Exception {
    NotebookHost.reset(
        Map.of(
            "model_path",
            model.toString(),
            "tokens_path",
            tokens,
            "report_path",
            jobOutput + ".report.json",
            "output_path",
            dir.resolve("scores-sql").toString()));

    List<Cell> cells =
        DatabricksNotebook.read(
            ConfTemplates.root().resolve("notebooks/spark-moe-walkthrough.sql"));
    SqlCells sql = new SqlCells(spark);
    List<List<List<Row>>> results = new ArrayList<>();
    for (Cell cell : cells) {
      if (cell.isCode()) {
        assertThat(cell.language()).as("cell %d", cell.index()).isEqualTo("sql");
        results.add(sql.run(cell));
      } else {
        results.add(List.of());
      }
    }

    Row info = cell(results, cells, "SELECT model.* FROM").get(0).get(0);
    assertThat(info.<Integer>getAs("num_layers")).isEqualTo(2);
    assertThat(info.<Integer>getAs("num_experts")).isEqualTo(8);
    Row tokenStats = cell(results, cells, "CREATE OR REPLACE TEMPORARY VIEW docs").get(1).get(0);
    assertThat(tokenStats.getLong(0)).isEqualTo(ROWS);
    long tokenCount = tokenStats.getLong(1);
    List<Row> scores = cell(results, cells, "DROP VIEW IF EXISTS scores").get(2);
    assertThat(scores).hasSize(10);
    List<Row> scalar = cell(results, cells, "SELECT id, moe_score(").get(0);
    assertThat(scalar).hasSize(10);
    java.util.Map<Long, Double> inferred = new java.util.HashMap<>();
    spark.table("scores").collectAsList().forEach(r -> inferred.put(r.getLong(0), r.getDouble(1)));
    for (Row row : scalar) {
      assertThat(row.getDouble(1))
          .as("moe_score of row %d against moe_infer's score (shared-layers, f32)", row.getLong(0))
          .isEqualTo(inferred.get(row.getLong(0)));
      assertThat(row.getInt(2)).as("next token of row %d", row.getLong(0)).isBetween(0, 511);
    }
    List<Row> perExpert =
        cell(results, cells, "CREATE OR REPLACE TEMPORARY VIEW run_report").get(1);
    assertThat(perExpert).hasSize(2 * 8);
    for (int layer = 0; layer < 2; layer++) {
      final int l = layer;
      long pairs =
          perExpert.stream().filter(r -> r.getLong(0) == l).mapToLong(r -> r.getLong(2)).sum();
      assertThat(pairs)
          .as("token-expert pairs of layer %d: top-2 of every token", layer)
          .isEqualTo(2 * tokenCount);
    }
    List<List<Row>> written = cell(results, cells, "DROP TABLE IF EXISTS moe_scores");
    assertThat(written.get(written.size() - 1).get(0).getLong(0)).isEqualTo(ROWS);
    assertThat(spark.read().parquet(dir.resolve("scores-sql").toString()).count()).isEqualTo(ROWS);
  }

  /**
   * examples/moe_infer.sql as {@code spark-sql -d model=... -d input=... -d output=... -f} runs it:
   * Spark's own substitution of the variables, one statement after another.
   */
  @Test
  void theSqlScriptRunsStatementByStatement() throws Exception {
    String script = Files.readString(ConfTemplates.root().resolve("examples/moe_infer.sql"));
    String output = dir.resolve("scores-script").toString();
    spark.conf().set("model", model.toString());
    spark.conf().set("input", tokens);
    spark.conf().set("output", output);
    List<List<Row>> results = new ArrayList<>();
    for (String statement : SqlCells.statements(script)) {
      results.add(spark.sql(statement).limit(1000).collectAsList());
    }
    assertThat(results.get(1).get(0).getStruct(0).<Integer>getAs("top_k")).isEqualTo(2);
    assertThat(results.get(2).get(0).getLong(0)).isEqualTo(ROWS);
    assertThat(results.get(6)).as("next tokens after the rows of 8 tokens or more").hasSize(10);
    assertThat(spark.read().parquet(output).count()).isEqualTo(ROWS);
  }

  private static List<List<Row>> cell(
      List<List<List<Row>>> results, List<Cell> cells, String start) {
    for (Cell cell : cells) {
      if (cell.source().startsWith(start)) {
        return results.get(cell.index());
      }
    }
    throw new AssertionError("The notebook has no cell starting with " + start);
  }

  private static String writeTokens(Path path) {
    TokenGenerator generator = new TokenGenerator(11, 2, 32, 512);
    List<Row> rows = new ArrayList<>();
    for (long id = 0; id < ROWS; id++) {
      rows.add(RowFactory.create(id, generator.tokens(id)));
    }
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType)
            .add("tokens", DataTypes.createArrayType(DataTypes.IntegerType));
    spark.createDataFrame(rows, schema).repartition(2).write().parquet(path.toString());
    return path.toString();
  }
}
