package dev.sparkmoe.spark.sql;

import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.Size;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import scala.collection.Seq;

/**
 * {@code moe_num_tokens(tokens)}: the length of a token array, NULL for NULL. Spark's own {@code
 * size} with NULL semantics, after checking that the argument is a token column.
 */
final class NumTokensFunction {
  static final String NAME = "moe_num_tokens";

  private NumTokensFunction() {}

  static Expression build(Seq<Expression> arguments) {
    Expression tokens = SqlArguments.count(arguments, 1, 1, NAME + "(tokens)").get(0);
    DataType type = tokens.dataType();
    if (!(type instanceof ArrayType array) || !isIntegral(array.elementType())) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid argument of %s: %s of type %s (expected: array<int>, a token column)",
              NAME, SqlNames.shown(tokens), type.simpleString()));
    }
    return SqlNames.named(NAME, new Size(tokens, /* legacySizeOfNull= */ false), tokens);
  }

  private static boolean isIntegral(DataType type) {
    return type.equals(DataTypes.IntegerType)
        || type.equals(DataTypes.LongType)
        || type.equals(DataTypes.ShortType)
        || type.equals(DataTypes.ByteType);
  }
}
