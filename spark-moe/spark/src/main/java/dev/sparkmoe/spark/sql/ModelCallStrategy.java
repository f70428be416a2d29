package dev.sparkmoe.spark.sql;

import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.SparkStrategy;
import scala.collection.Seq;

/** Plans {@link BatchModelCalls} as {@link BatchModelCallsExec}; nothing else. */
final class ModelCallStrategy extends SparkStrategy {
  @Override
  public Seq<SparkPlan> apply(LogicalPlan plan) {
    if (plan instanceof BatchModelCalls node) {
      return ScalaUtil.seq(
          List.of(new BatchModelCallsExec(node.calls(), node.results(), planLater(node.child()))));
    }
    return ScalaUtil.seq(List.of());
  }

  /**
   * How EXPLAIN shows a node: {@code BatchModelCalls [moe_score(tokens#1) AS score#7], model=...,
   * placement=in-task, batch-rows=256, ...}.
   */
  static String describe(
      String nodeName, Seq<Expression> calls, Seq<Attribute> results, ScalarSettings settings) {
    List<Expression> callList = ScalaUtil.list(calls);
    List<Attribute> resultList = ScalaUtil.list(results);
    String shown =
        java.util.stream.IntStream.range(0, callList.size())
            .mapToObj(i -> callList.get(i) + " AS " + resultList.get(i))
            .collect(Collectors.joining(", ", "[", "]"));
    return nodeName + " " + shown + ", " + settings.explain();
  }
}
