package dev.sparkmoe.dist.notebook;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads a Databricks notebook in source format: a header line ({@code -- Databricks notebook
 * source}, or with {@code //} or {@code #}), cells separated by {@code <comment> COMMAND
 * ----------} lines, and {@code <comment> MAGIC} lines for cells in another language ({@code %md},
 * {@code %sql}, {@code %scala}, {@code %python}).
 */
public final class DatabricksNotebook {
  private static final Map<String, String> LANGUAGE_BY_COMMENT =
      Map.of("--", "sql", "//", "scala", "#", "python");

  private DatabricksNotebook() {}

  public static List<Cell> read(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file);
    if (lines.isEmpty() || !lines.get(0).endsWith(" Databricks notebook source")) {
      throw new IllegalArgumentException(
          "Invalid Databricks notebook "
              + file
              + ": first line is not '<comment> Databricks notebook source'");
    }
    String comment = lines.get(0).substring(0, lines.get(0).indexOf(' '));
    String language = LANGUAGE_BY_COMMENT.get(comment);
    if (language == null) {
      throw new IllegalArgumentException(
          "Invalid Databricks notebook "
              + file
              + ": unknown comment marker "
              + comment
              + " (expected: --, // or #)");
    }
    List<Cell> cells = new ArrayList<>();
    List<String> current = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      if (line.strip().equals(comment + " COMMAND ----------")) {
        add(cells, current, comment, language);
        current = new ArrayList<>();
      } else {
        current.add(line);
      }
    }
    add(cells, current, comment, language);
    return cells;
  }

  private static void add(List<Cell> cells, List<String> lines, String comment, String language) {
    if (lines.stream().allMatch(String::isBlank)) {
      return;
    }
    String magic = comment + " MAGIC";
    boolean magicCell = lines.stream().filter(l -> !l.isBlank()).allMatch(l -> l.startsWith(magic));
    if (!magicCell) {
      cells.add(new Cell(cells.size(), language, String.join("\n", lines).strip()));
      return;
    }
    List<String> text =
        lines.stream()
            .map(l -> l.startsWith(magic) ? l.substring(magic.length()).replaceFirst("^ ", "") : l)
            .toList();
    String body = String.join("\n", text).strip();
    // "%md ## Title" or "%scala" on the first line: the cell's language, then its text.
    String[] head = body.split("[ \n]", 2);
    if (!head[0].startsWith("%")) {
      throw new IllegalArgumentException(
          "Invalid MAGIC cell: " + head[0] + " (expected: %md, %sql, %scala...)");
    }
    cells.add(new Cell(cells.size(), head[0].substring(1), head.length > 1 ? head[1].strip() : ""));
  }
}
