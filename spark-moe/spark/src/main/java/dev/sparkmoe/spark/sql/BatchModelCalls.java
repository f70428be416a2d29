package dev.sparkmoe.spark.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeSet;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import scala.Option;
import scala.collection.IndexedSeq;
import scala.collection.Seq;

/**
 * The logical node {@link ExtractModelCalls} puts under a {@code Project}, {@code Filter} or {@code
 * Aggregate}: evaluates model calls that share their settings over its child's rows, in batches,
 * and outputs the child's columns followed by one column per call ({@code results}), as Spark's
 * {@code BatchEvalPython} does for Python UDFs. {@link ModelCallStrategy} plans it as {@link
 * BatchModelCallsExec}.
 *
 * <p>Immutable. The public constructor is the one Catalyst's reflective {@code makeCopy} uses.
 */
public final class BatchModelCalls extends LogicalPlan {
  private static final long serialVersionUID = 1L;
  private final Seq<Expression> calls;
  private final Seq<Attribute> results;
  private final LogicalPlan child;

  /**
   * @param calls {@link ModelCall}s with equal settings
   * @param results one attribute per call, in order
   */
  public BatchModelCalls(Seq<Expression> calls, Seq<Attribute> results, LogicalPlan child) {
    this.calls = calls;
    this.results = results;
    this.child = child;
  }

  Seq<Expression> calls() {
    return calls;
  }

  Seq<Attribute> results() {
    return results;
  }

  LogicalPlan child() {
    return child;
  }

  /** The settings the calls share. */
  ScalarSettings settings() {
    return ((ModelCall) calls.head()).settings();
  }

  @Override
  public Seq<Attribute> output() {
    return ScalaUtil.concat(child.output(), results);
  }

  @Override
  public AttributeSet producedAttributes() {
    return AttributeSet.apply(ScalaUtil.<Expression>seq(new ArrayList<>(ScalaUtil.list(results))));
  }

  @Override
  public Option<Object> maxRows() {
    return child.maxRows();
  }

  @Override
  public Seq<LogicalPlan> children() {
    return ScalaUtil.seq(List.of(child));
  }

  @Override
  public LogicalPlan withNewChildrenInternal(IndexedSeq<LogicalPlan> children) {
    return new BatchModelCalls(calls, results, children.apply(0));
  }

  @Override
  public String simpleString(int maxFields) {
    return ModelCallStrategy.describe(nodeName(), calls, results, settings());
  }

  @Override
  public int productArity() {
    return 3;
  }

  @Override
  public Object productElement(int n) {
    return switch (n) {
      case 0 -> calls;
      case 1 -> results;
      case 2 -> child;
      default -> throw new IndexOutOfBoundsException(Integer.toString(n));
    };
  }

  @Override
  public boolean canEqual(Object other) {
    return other instanceof BatchModelCalls;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof BatchModelCalls node
        && calls.equals(node.calls)
        && results.equals(node.results)
        && child.equals(node.child);
  }

  @Override
  public int hashCode() {
    return Objects.hash(calls, results, child);
  }
}
