package dev.sparkmoe.dist.notebook;

import java.nio.file.Path;
import java.util.List;
import java.util.function.IntPredicate;

/** Runs Scala notebook cells in order, after a preamble that stands in for the platform. */
final class ScalaNotebooks {
  /** What a Databricks Scala notebook finds defined. */
  static final String DATABRICKS_PREAMBLE =
      """
      val spark = org.apache.spark.sql.SparkSession.active
      val sc = spark.sparkContext
      import spark.implicits._
      def display(ds: org.apache.spark.sql.Dataset[_]): Unit = ds.show(20, false)
      def displayHTML(html: String): Unit = dev.sparkmoe.dist.notebook.NotebookHost.html(html)
      object dbutils {
        object widgets {
          def text(name: String, defaultValue: String, label: String = ""): Unit =
            dev.sparkmoe.dist.notebook.NotebookHost.widget(name, defaultValue)
          def get(name: String): String = dev.sparkmoe.dist.notebook.NotebookHost.widgetValue(name)
        }
      }
      """;

  /** What Apache Toree's Scala kernel gives a Jupyter notebook. */
  static final String TOREE_PREAMBLE =
      """
      val spark = org.apache.spark.sql.SparkSession.active
      val sc = spark.sparkContext
      object kernel {
        object display {
          def html(html: String): Unit = dev.sparkmoe.dist.notebook.NotebookHost.html(html)
        }
      }
      """;

  private ScalaNotebooks() {}

  /**
   * Runs the preamble, then every code cell in order; after the cell whose index {@code afterCell}
   * accepts, runs {@code injected} (parameters, as papermill injects them).
   */
  static ScalaInterpreter run(
      Path classes, String preamble, List<Cell> cells, IntPredicate afterCell, String injected) {
    ScalaInterpreter scala = new ScalaInterpreter(classes);
    scala.run("preamble", preamble);
    for (Cell cell : cells) {
      if (!cell.isCode()) {
        continue;
      }
      if (!cell.language().equals("scala")) {
        throw new AssertionError("Cell " + cell.index() + " is " + cell.language() + ", not scala");
      }
      scala.run("Cell " + cell.index() + " (" + cell.firstLine() + ")", cell.source());
      if (afterCell.test(cell.index())) {
        scala.run("Parameters injected after cell " + cell.index(), injected);
      }
    }
    return scala;
  }
}
