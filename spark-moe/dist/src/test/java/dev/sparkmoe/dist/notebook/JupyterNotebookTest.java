package dev.sparkmoe.dist.notebook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.dist.ConfTemplates;
import dev.sparkmoe.spark.pipeline.RunReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * notebooks/spark-moe-walkthrough.ipynb (Apache Toree's Scala kernel) cell by cell through the
 * Scala interpreter, with its parameters cell overridden as papermill does.
 */
class JupyterNotebookTest {
  private static final Path NOTEBOOK = Path.of("notebooks/spark-moe-walkthrough.ipynb");

  @TempDir static Path dir;
  private static SparkSession spark;

  @BeforeAll
  static void start() throws Exception {
    Files.createDirectories(dir.resolve("repl-classes"));
    spark =
        ConfTemplates.localSession(
            "spark-defaults-local-cpu.conf.template",
            "jupyter-notebook",
            Map.of("spark.repl.class.outputDir", dir.resolve("repl-classes").toString()));
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  void isAScalaNotebookWithAParametersCell() throws Exception {
    Path file = ConfTemplates.root().resolve(NOTEBOOK);
    assertThat(JupyterNotebook.language(file)).isEqualTo("scala");
    assertThat(JupyterNotebook.parametersCell(file)).isEqualTo(1);
  }

  @Test
  void theWalkThroughRunsAndWritesItsResults() throws Exception {
    Path file = ConfTemplates.root().resolve(NOTEBOOK);
    List<Cell> cells = JupyterNotebook.read(file);
    int parameters = JupyterNotebook.parametersCell(file);
    Path output = dir.resolve("scores");
    String injected =
        String.format(
            "val modelPath = \"%s\"%nval outputPath = \"%s\"%n", dir.resolve("model"), output);
    NotebookHost.reset(Map.of());

    try (ScalaInterpreter scala =
        ScalaNotebooks.run(
            dir.resolve("repl-classes"),
            ScalaNotebooks.TOREE_PREAMBLE,
            cells,
            i -> i == parameters,
            injected)) {
      RunReport report = (RunReport) scala.value("report");
      assertThat(report.rows()).isEqualTo(64);
      assertThat(scala.output()).contains("modelPath: String = " + dir.resolve("model"));
      assertThat(scala.value("config").toString()).contains("numLayers=2, numHeads=4");
    }
    assertThat(NotebookHost.displayedHtml())
        .singleElement()
        .asString()
        .contains("<h2>Load per slot</h2>");
    assertThat(spark.read().parquet(output.toString()).count()).isEqualTo(64);
  }
}
