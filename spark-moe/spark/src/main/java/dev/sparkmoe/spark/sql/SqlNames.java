package dev.sparkmoe.spark.sql;

import java.util.List;
import org.apache.spark.sql.catalyst.expressions.Alias;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import scala.Option;
import scala.collection.JavaConverters;
import scala.collection.Seq;

/**
 * Names a function's result after the call ({@code moe_num_tokens(tokens)}) rather than after the
 * Spark expression that computes it ({@code size(tokens)}). The alias names a top-level column;
 * Spark drops it wherever the call is nested in another expression.
 */
final class SqlNames {
  private SqlNames() {}

  static Expression named(String function, Expression result, Expression argument) {
    String name = function + "(" + shown(argument) + ")";
    Seq<String> none = JavaConverters.asScalaBuffer(List.<String>of()).toSeq();
    return new Alias(result, name, NamedExpression.newExprId(), none, Option.empty(), none);
  }

  /** An argument as messages and names show it: a column by its name, else its SQL. */
  static String shown(Expression argument) {
    return argument instanceof NamedExpression named ? named.name() : argument.sql();
  }
}
