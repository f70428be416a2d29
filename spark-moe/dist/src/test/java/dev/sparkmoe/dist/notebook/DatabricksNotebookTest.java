package dev.sparkmoe.dist.notebook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatabricksNotebookTest {
  @TempDir Path dir;

  @Test
  void splitsCellsAndReadsMagicCells() throws Exception {
    Path file = dir.resolve("n.sql");
    Files.writeString(
        file,
        """
        -- Databricks notebook source
        -- MAGIC %md
        -- MAGIC # Title
        -- MAGIC text

        -- COMMAND ----------

        SELECT 1;
        SELECT ';' -- a comment; not a split

        -- COMMAND ----------

        -- MAGIC %scala
        -- MAGIC val x = 1
        """);

    List<Cell> cells = DatabricksNotebook.read(file);

    assertThat(cells)
        .containsExactly(
            new Cell(0, "md", "# Title\ntext"),
            new Cell(1, "sql", "SELECT 1;\nSELECT ';' -- a comment; not a split"),
            new Cell(2, "scala", "val x = 1"));
    assertThat(SqlCells.statements(cells.get(1).source()))
        .containsExactly("SELECT 1", "SELECT ';'");
  }

  @Test
  void rejectsAFileWithoutTheHeader() throws Exception {
    Path file = dir.resolve("plain.sql");
    Files.writeString(file, "SELECT 1\n");

    assertThatThrownBy(() -> DatabricksNotebook.read(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid Databricks notebook "
                + file
                + ": first line is not '<comment> Databricks notebook source'");
  }
}
