package dev.sparkmoe.spark.sql;

import dev.sparkmoe.spark.infer.InputColumns;
import java.util.Arrays;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/** The tokenized table a SQL call or a DataSource names, checked before any Spark job runs. */
public final class TableInput {
  private TableInput() {}

  /** Whether {@code name} is a table or view of {@code spark}: false for what cannot be one. */
  public static boolean exists(SparkSession spark, String name) {
    try {
      return spark.catalog().tableExists(name);
    } catch (Exception e) { // a name that does not parse as one (ParseException is checked)
      return false;
    }
  }

  /**
   * The table or view {@code name}.
   *
   * @param where who is asking, for messages: {@code moe_infer}
   */
  public static Dataset<Row> table(SparkSession spark, String name, String where) {
    if (!exists(spark, name)) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot find table or view %s for %s: the session catalog has none of that name"
                  + " (create it, or a temporary view, first)",
              name, where));
    }
    return spark.table(name);
  }

  /**
   * Checks that {@code input} has the id and token columns, of the right types.
   *
   * @param what the input, for messages: a table name or a path
   * @throws IllegalArgumentException naming the column, the columns there are, and the option
   */
  public static void checkColumns(Dataset<Row> input, InferenceOptions options, String what) {
    StructType schema = input.schema();
    requireColumn(schema, options.idColumn(), "id", what);
    InputColumns.id(schema, options.idColumn());
    if (options.textColumn().isPresent()) {
      requireColumn(schema, options.textColumn().get(), "text", what);
      InputColumns.text(schema, options.textColumn().get());
      return;
    }
    requireColumn(schema, options.tokensColumn(), "tokens", what);
    InputColumns.tokens(schema, options.tokensColumn());
  }

  private static void requireColumn(StructType schema, String name, String role, String what) {
    if (!Arrays.asList(schema.fieldNames()).contains(name)) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot find %s column %s in %s (columns: %s); name it with the option %s-column",
              role, name, what, String.join(", ", schema.fieldNames()), role));
    }
  }
}
