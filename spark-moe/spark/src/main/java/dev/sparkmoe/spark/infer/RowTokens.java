package dev.sparkmoe.spark.infer;

import dev.sparkmoe.core.forward.TokenRows;
import dev.sparkmoe.core.model.ModelConfig;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.DataType;

/** Token arrays from Spark rows, range-checked before narrowing to int. */
public final class RowTokens {
  private RowTokens() {}

  /** The row's tokens, or null when the array is null or empty. */
  public static int[] read(Row row, int column, ModelConfig config) {
    if (row.isNullAt(column)) {
      return null;
    }
    List<Object> values = row.getList(column);
    if (values.isEmpty()) {
      return null;
    }
    String label = String.valueOf(row.get(0));
    int[] tokens = new int[values.size()];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = narrow(values.get(i), label, i, config);
    }
    TokenRows.check(label, tokens, config);
    return tokens;
  }

  /**
   * The tokens of a Catalyst array of integers, or null when the array is null or empty.
   *
   * @param label how messages name the row: its id
   */
  public static int[] read(
      ArrayData values, DataType elementType, String label, ModelConfig config) {
    if (values == null || values.numElements() == 0) {
      return null;
    }
    int[] tokens = new int[values.numElements()];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = narrow(values.isNullAt(i) ? null : values.get(i, elementType), label, i, config);
    }
    TokenRows.check(label, tokens, config);
    return tokens;
  }

  private static int narrow(Object value, String label, int position, ModelConfig config) {
    if (value == null) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid token id null in row %s at position %d (expected: 0 <= id < %d)",
              label, position, config.vocabSize()));
    }
    long id = ((Number) value).longValue();
    if (id < 0 || id >= config.vocabSize()) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid token id %d in row %s at position %d (expected: 0 <= id < %d)",
              id, label, position, config.vocabSize()));
    }
    return (int) id;
  }
}
