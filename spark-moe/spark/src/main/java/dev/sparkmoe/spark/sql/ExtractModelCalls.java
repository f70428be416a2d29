package dev.sparkmoe.spark.sql;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeReference;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateExpression;
import org.apache.spark.sql.catalyst.plans.logical.Aggregate;
import org.apache.spark.sql.catalyst.plans.logical.Filter;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Project;
import org.apache.spark.sql.catalyst.rules.Rule;
import org.apache.spark.sql.types.Metadata;
import scala.Function1;

/**
 * The optimizer rule that batches model calls, as Spark's {@code ExtractPythonUDFs} does for Python
 * UDFs: takes the {@link ModelCall}s out of a {@code Project}'s list, a {@code Filter}'s condition
 * or an {@code Aggregate}'s aggregate functions, evaluates them in a {@link BatchModelCalls} node
 * under it (one per distinct settings, so calls on one model share one pass; equal calls are
 * computed once), and refers to their results by attribute. A {@code Filter} gets a {@code Project}
 * on top that drops the results again. Calls nested in another call's argument are taken on the
 * next pass of the optimizer's batch; calls elsewhere keep {@link ModelCall#eval}.
 */
final class ExtractModelCalls extends Rule<LogicalPlan> {
  @Override
  public LogicalPlan apply(LogicalPlan plan) {
    LogicalPlan withChildren = plan.mapChildren(function(this::apply));
    if (withChildren instanceof Project project) {
      return extractProject(project);
    }
    if (withChildren instanceof Filter filter) {
      return extractFilter(filter);
    }
    if (withChildren instanceof Aggregate aggregate) {
      return extractAggregate(aggregate);
    }
    return withChildren;
  }

  private static LogicalPlan extractProject(Project project) {
    Map<Expression, Attribute> found = new LinkedHashMap<>();
    for (NamedExpression e : ScalaUtil.list(project.projectList())) {
      collect((Expression) e, found, /* anywhere= */ true);
    }
    if (found.isEmpty()) {
      return project;
    }
    List<NamedExpression> list = new ArrayList<>();
    for (NamedExpression e : ScalaUtil.list(project.projectList())) {
      list.add((NamedExpression) replace((Expression) e, found, true));
    }
    return new Project(ScalaUtil.seq(list), batched(found, project.child()));
  }

  private static LogicalPlan extractFilter(Filter filter) {
    Map<Expression, Attribute> found = new LinkedHashMap<>();
    collect(filter.condition(), found, true);
    if (found.isEmpty()) {
      return filter;
    }
    Filter batched =
        new Filter(replace(filter.condition(), found, true), batched(found, filter.child()));
    List<NamedExpression> columns = new ArrayList<>(ScalaUtil.list(filter.child().output()));
    return new Project(ScalaUtil.seq(columns), batched);
  }

  /** Only calls inside aggregate functions: the others are evaluated after the aggregation. */
  private static LogicalPlan extractAggregate(Aggregate aggregate) {
    Map<Expression, Attribute> found = new LinkedHashMap<>();
    for (NamedExpression e : ScalaUtil.list(aggregate.aggregateExpressions())) {
      collect((Expression) e, found, false);
    }
    if (found.isEmpty()) {
      return aggregate;
    }
    List<NamedExpression> list = new ArrayList<>();
    for (NamedExpression e : ScalaUtil.list(aggregate.aggregateExpressions())) {
      list.add((NamedExpression) replace((Expression) e, found, false));
    }
    return new Aggregate(
        aggregate.groupingExpressions(), ScalaUtil.seq(list), batched(found, aggregate.child()));
  }

  /** One {@link BatchModelCalls} per distinct settings, stacked over {@code child}. */
  private static LogicalPlan batched(Map<Expression, Attribute> found, LogicalPlan child) {
    Map<ScalarSettings, List<Map.Entry<Expression, Attribute>>> bySettings = new LinkedHashMap<>();
    for (Map.Entry<Expression, Attribute> entry : found.entrySet()) {
      bySettings
          .computeIfAbsent(((ModelCall) entry.getKey()).settings(), s -> new ArrayList<>())
          .add(entry);
    }
    LogicalPlan plan = child;
    for (List<Map.Entry<Expression, Attribute>> group : bySettings.values()) {
      List<Expression> calls = group.stream().map(Map.Entry::getKey).toList();
      List<Attribute> results = group.stream().map(Map.Entry::getValue).toList();
      plan = new BatchModelCalls(ScalaUtil.seq(calls), ScalaUtil.seq(results), plan);
    }
    return plan;
  }

  /**
   * Adds to {@code found} the calls in {@code e} whose argument holds no other call, each with a
   * new attribute for its result; {@code anywhere} false: only inside aggregate functions.
   */
  private static void collect(Expression e, Map<Expression, Attribute> found, boolean anywhere) {
    if (e instanceof ModelCall call && anywhere && !containsCall(call.tokens())) {
      found.computeIfAbsent(call, ExtractModelCalls::resultAttribute);
      return;
    }
    boolean inside = anywhere || e instanceof AggregateExpression;
    for (Expression child : ScalaUtil.list(e.children())) {
      collect(child, found, inside);
    }
  }

  private static Expression replace(
      Expression e, Map<Expression, Attribute> found, boolean anywhere) {
    if (anywhere && e instanceof ModelCall && found.containsKey(e)) {
      return found.get(e);
    }
    boolean inside = anywhere || e instanceof AggregateExpression;
    return e.mapChildren(function(child -> replace(child, found, inside)));
  }

  private static boolean containsCall(Expression e) {
    if (e instanceof ModelCall) {
      return true;
    }
    for (Expression child : ScalaUtil.list(e.children())) {
      if (containsCall(child)) {
        return true;
      }
    }
    return false;
  }

  private static Attribute resultAttribute(Expression call) {
    return new AttributeReference(
        call.prettyName(),
        call.dataType(),
        /* nullable= */ true,
        Metadata.empty(),
        NamedExpression.newExprId(),
        ScalaUtil.seq(List.of()));
  }

  private static <T> Function1<T, T> function(java.util.function.Function<T, T> f) {
    return f::apply;
  }
}
