package dev.sparkmoe.spark.sql;

import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.types.DataTypes;
import scala.collection.JavaConverters;
import scala.collection.Seq;

/** Checks the arguments a SQL function was called with, failing with the call's signature. */
final class SqlArguments {
  private SqlArguments() {}

  /** The arguments as a list, when there are between {@code min} and {@code max} of them. */
  static List<Expression> count(Seq<Expression> arguments, int min, int max, String signature) {
    List<Expression> list = JavaConverters.seqAsJavaList(arguments);
    if (list.size() < min || list.size() > max) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid number of arguments to %s: %d (expected: %s)",
              signature.substring(0, signature.indexOf('(')), list.size(), signature));
    }
    return list;
  }

  /**
   * The value of a constant string argument (a literal, or an expression of literals).
   *
   * @param function the function's name, for the message
   * @param position the argument's position, from 1
   * @param role what the argument is, for the message: "the model path"
   */
  static String constantString(Expression argument, String function, int position, String role) {
    if (!argument.foldable() || !argument.dataType().equals(DataTypes.StringType)) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid argument %d of %s: %s (expected: a constant string, %s)",
              position, function, argument.sql(), role));
    }
    Object value = argument.eval((InternalRow) null);
    if (value == null) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid argument %d of %s: NULL (expected: a constant string, %s)",
              position, function, role));
    }
    return value.toString();
  }
}
