package dev.sparkmoe.spark.source;

import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.ArrowUtils$;

/** The Spark schema of an Arrow IPC corpus: the chosen columns, then the row index if asked. */
final class SparkSchemas {
  private SparkSchemas() {}

  static StructType of(Schema arrow, ArrowTokensOptions options, Path file) {
    List<String> names = arrow.getFields().stream().map(Field::getName).toList();
    List<String> chosen = options.columns() == null ? names : options.columns();
    StructType schema = new StructType();
    for (String name : chosen) {
      if (!names.contains(name)) {
        throw new IllegalArgumentException(
            String.format(
                "Invalid column in %s: %s (expected: one of %s, the columns of %s)",
                ArrowTokensOptions.COLUMNS, name, String.join(", ", names), file));
      }
      Field field = arrow.findField(name);
      schema = schema.add(name, sparkType(field, file), field.isNullable());
    }
    String index = options.rowIndexColumn();
    if (index != null) {
      if (names.contains(index)) {
        throw new IllegalArgumentException(
            String.format(
                "Invalid %s: %s (expected: a name that is not a column of %s)",
                ArrowTokensOptions.ROW_INDEX_COLUMN, index, file));
      }
      schema = schema.add(index, DataTypes.LongType, false);
    }
    return schema;
  }

  private static DataType sparkType(Field field, Path file) {
    try {
      return ArrowUtils$.MODULE$.fromArrowField(field);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot read column %s of %s: Arrow type %s is not supported by Spark (choose the"
                  + " columns to read with option(\"%s\", \"input_ids,...\"))",
              field.getName(), file, field.getType(), ArrowTokensOptions.COLUMNS),
          e);
    }
  }
}
