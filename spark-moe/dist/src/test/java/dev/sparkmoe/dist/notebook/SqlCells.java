package dev.sparkmoe.dist.notebook;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Runs SQL notebook cells in a session as a notebook does: each statement of a cell in turn, every
 * query's result collected (a notebook displays it). {@code CREATE WIDGET TEXT name DEFAULT 'v'}
 * declares a widget, and its value replaces {@code ${name}} in later statements, as Databricks does
 * before the text reaches Spark. (Spark's own {@code ${conf}} substitution would not do: it hides
 * any value that contains {@code token}, {@code secret} or {@code password}, paths included.)
 */
public final class SqlCells {
  private static final Pattern WIDGET =
      Pattern.compile("(?is)CREATE\\s+WIDGET\\s+TEXT\\s+(\\w+)\\s+DEFAULT\\s+'([^']*)'");
  private static final Pattern WIDGET_REFERENCE = Pattern.compile("\\$\\{(\\w+)}");
  private static final int DISPLAYED_ROWS = 1000;

  private final SparkSession spark;

  public SqlCells(SparkSession spark) {
    this.spark = spark;
  }

  /** The results of the cell's statements, in order (empty for a widget). */
  public List<List<Row>> run(Cell cell) {
    List<List<Row>> results = new ArrayList<>();
    for (String statement : statements(cell.source())) {
      Matcher widget = WIDGET.matcher(statement);
      if (widget.matches()) {
        NotebookHost.widget(widget.group(1), widget.group(2));
        results.add(List.of());
      } else {
        results.add(spark.sql(substitute(statement)).limit(DISPLAYED_ROWS).collectAsList());
      }
    }
    return results;
  }

  private static String substitute(String statement) {
    Matcher reference = WIDGET_REFERENCE.matcher(statement);
    StringBuilder out = new StringBuilder();
    while (reference.find()) {
      reference.appendReplacement(
          out, Matcher.quoteReplacement(NotebookHost.widgetValue(reference.group(1))));
    }
    return reference.appendTail(out).toString();
  }

  /** Splits on semicolons outside quotes, backticks and {@code --} comments; drops the comments. */
  static List<String> statements(String sql) {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    char quote = 0;
    for (int i = 0; i < sql.length(); i++) {
      char c = sql.charAt(i);
      if (quote != 0) {
        current.append(c);
        if (c == quote) {
          quote = 0;
        }
      } else if (c == '-' && i + 1 < sql.length() && sql.charAt(i + 1) == '-') {
        int end = sql.indexOf('\n', i);
        i = end < 0 ? sql.length() : end - 1;
      } else if (c == ';') {
        addIfNotBlank(out, current);
        current.setLength(0);
      } else {
        if (c == '\'' || c == '"' || c == '`') {
          quote = c;
        }
        current.append(c);
      }
    }
    addIfNotBlank(out, current);
    return out;
  }

  private static void addIfNotBlank(List<String> out, StringBuilder statement) {
    String text = statement.toString().strip();
    if (!text.isEmpty()) {
      out.add(text);
    }
  }
}
