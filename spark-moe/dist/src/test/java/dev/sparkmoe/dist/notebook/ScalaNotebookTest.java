package dev.sparkmoe.dist.notebook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.dist.ConfTemplates;
import dev.sparkmoe.spark.pipeline.RunReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * notebooks/spark-moe-walkthrough.scala, the Databricks Scala notebook, cell by cell through the
 * Scala interpreter, in a session set up as conf/spark-defaults-local-cpu.conf.template says.
 */
class ScalaNotebookTest {
  @TempDir static Path dir;
  private static SparkSession spark;

  @BeforeAll
  static void start() throws Exception {
    Files.createDirectories(dir.resolve("repl-classes"));
    spark =
        ConfTemplates.localSession(
            "spark-defaults-local-cpu.conf.template",
            "scala-notebook",
            Map.of("spark.repl.class.outputDir", dir.resolve("repl-classes").toString()));
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  void theWalkThroughRunsAndReportsEveryTokenOnItsTopKExperts() throws Exception {
    List<Cell> cells =
        DatabricksNotebook.read(
            ConfTemplates.root().resolve("notebooks/spark-moe-walkthrough.scala"));
    Path output = dir.resolve("scores");
    NotebookHost.reset(
        Map.of("model_path", dir.resolve("model").toString(), "output_path", output.toString()));

    try (ScalaInterpreter scala =
        ScalaNotebooks.run(
            dir.resolve("repl-classes"),
            ScalaNotebooks.DATABRICKS_PREAMBLE,
            cells,
            i -> false,
            "")) {
      RunReport report = (RunReport) scala.value("report");
      assertThat(report.rows()).isEqualTo(64);
      @SuppressWarnings("unchecked")
      Dataset<Row> load = (Dataset<Row>) scala.value("expertLoad");
      // Every token goes to top-k = 2 experts in every layer.
      for (Row layer : load.groupBy("layer").sum("tokens").collectAsList()) {
        assertThat(layer.getLong(1)).as("layer %s", layer.get(0)).isEqualTo(2 * report.tokens());
      }
    }
    assertThat(cells.stream().filter(Cell::isCode).count()).isEqualTo(7);
    assertThat(NotebookHost.displayedHtml())
        .singleElement()
        .asString()
        .contains("<h2>Tokens per expert</h2>");
    assertThat(spark.read().parquet(output.toString()).count()).isEqualTo(64);
    assertThat(Files.readString(Path.of(output + ".report.json"))).contains("\"tokensPerExpert\"");
  }
}
