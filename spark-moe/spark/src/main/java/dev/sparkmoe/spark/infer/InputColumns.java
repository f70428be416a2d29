package dev.sparkmoe.spark.infer;

import java.util.Arrays;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Checks that a tokenized table has an id column (long, int or string) and a token column (an array
 * of integers), failing with a message that names the column and the fix.
 */
public final class InputColumns {
  private InputColumns() {}

  public static StructField id(StructType schema, String name) {
    StructField field = find(schema, name, "id");
    DataType type = field.dataType();
    if (!(type.equals(DataTypes.LongType)
        || type.equals(DataTypes.IntegerType)
        || type.equals(DataTypes.StringType))) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid type of id column %s: %s (expected: bigint, int or string)",
              name, type.simpleString()));
    }
    return field;
  }

  public static StructField tokens(StructType schema, String name) {
    StructField field = find(schema, name, "tokens");
    DataType type = field.dataType();
    if (!(type instanceof ArrayType array) || !isIntegral(array.elementType())) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid type of tokens column %s: %s (expected: array<int>)",
              name, type.simpleString()));
    }
    return field;
  }

  /** The text column of a run with {@code --text-column}: a string. */
  public static StructField text(StructType schema, String name) {
    StructField field = find(schema, name, "text");
    if (!field.dataType().equals(DataTypes.StringType)) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid type of text column %s: %s (expected: string)",
              name, field.dataType().simpleString()));
    }
    return field;
  }

  private static boolean isIntegral(DataType type) {
    return type.equals(DataTypes.IntegerType)
        || type.equals(DataTypes.LongType)
        || type.equals(DataTypes.ShortType)
        || type.equals(DataTypes.ByteType);
  }

  private static StructField find(StructType schema, String name, String role) {
    if (!Arrays.asList(schema.fieldNames()).contains(name)) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot find %s column %s in the input (columns: %s); name it with --%s-column",
              role, name, String.join(", ", schema.fieldNames()), role));
    }
    return schema.apply(name);
  }
}
