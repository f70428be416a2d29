package dev.sparkmoe.dist.notebook;

/**
 * One notebook cell.
 *
 * @param index position in the notebook, from 0
 * @param language {@code md}, {@code sql}, {@code scala} or {@code python}
 * @param source the cell's text, without notebook markup
 */
public record Cell(int index, String language, String source) {
  public boolean isCode() {
    return !language.equals("md");
  }

  /** The first line of the cell, for messages. */
  public String firstLine() {
    String trimmed = source.strip();
    int end = trimmed.indexOf('\n');
    return end < 0 ? trimmed : trimmed.substring(0, end);
  }
}
