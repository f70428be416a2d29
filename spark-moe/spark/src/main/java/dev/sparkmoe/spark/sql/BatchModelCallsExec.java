package dev.sparkmoe.spark.sql;

import dev.sparkmoe.core.forward.OutputKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeSet;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.SortOrder;
import org.apache.spark.sql.catalyst.plans.physical.Partitioning;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.metric.SQLMetric;
import org.apache.spark.sql.execution.metric.SQLMetrics;
import org.apache.spark.sql.types.DataType;
import scala.collection.IndexedSeq;
import scala.collection.JavaConverters;
import scala.collection.Seq;

/**
 * The physical operator of {@link BatchModelCalls}: each task feeds its partition's rows to the
 * model in batches ({@link CallBatches}), with the experts in-task from the executor's resident
 * cache or on the query's expert servers (started here, when the operator executes: {@link
 * dev.sparkmoe.spark.pipeline.ScalarService}), and appends the results. Keeps its child's
 * partitioning and ordering, so a join or an aggregate above it needs no extra exchange.
 * Whole-stage code generation runs below and above it.
 *
 * <p>Immutable. The public constructor is the one Catalyst's reflective {@code makeCopy} uses.
 */
public final class BatchModelCallsExec extends SparkPlan {
  private static final long serialVersionUID = 1L;
  private final Seq<Expression> calls;
  private final Seq<Attribute> results;
  private final SparkPlan child;
  private transient scala.collection.immutable.Map<String, SQLMetric> metrics;

  public BatchModelCallsExec(Seq<Expression> calls, Seq<Attribute> results, SparkPlan child) {
    this.calls = calls;
    this.results = results;
    this.child = child;
  }

  @Override
  public RDD<InternalRow> doExecute() {
    CallBatches.Plan plan = plan();
    CallBatches.Metrics counters =
        new CallBatches.Metrics(
            metric("numOutputRows"),
            metric("numTokens"),
            metric("numBatches"),
            metric("forwardTime"));
    return child
        .execute()
        .toJavaRDD()
        .mapPartitions(rows -> new CallBatches(plan, rows, counters), true)
        .rdd();
  }

  private CallBatches.Plan plan() {
    List<ModelCall> list = ScalaUtil.list(calls).stream().map(c -> (ModelCall) c).toList();
    List<Expression> arguments = new ArrayList<>();
    int[] argumentOf = new int[list.size()];
    OutputKind[] kinds = new OutputKind[list.size()];
    for (int c = 0; c < list.size(); c++) {
      Expression tokens = list.get(c).tokens();
      int index = indexOfSemantic(arguments, tokens);
      if (index < 0) {
        index = arguments.size();
        arguments.add(tokens);
      }
      argumentOf[c] = index;
      kinds[c] = list.get(c).kind();
    }
    List<Attribute> input = ScalaUtil.list(child.output());
    ScalarSettings settings = list.get(0).settings();
    return new CallBatches.Plan(
        arguments,
        argumentOf,
        kinds,
        settings,
        input,
        outputTypes(),
        idOrdinal(input, settings),
        settings.forwardSource(session()));
  }

  private static int indexOfSemantic(List<Expression> arguments, Expression tokens) {
    for (int i = 0; i < arguments.size(); i++) {
      if (arguments.get(i).semanticEquals(tokens)) {
        return i;
      }
    }
    return -1;
  }

  private static int idOrdinal(List<Attribute> input, ScalarSettings settings) {
    for (int i = 0; i < input.size(); i++) {
      if (input.get(i).name().equalsIgnoreCase(settings.idColumn())) {
        return i;
      }
    }
    return -1;
  }

  private DataType[] outputTypes() {
    return ScalaUtil.list(output()).stream().map(Attribute::dataType).toArray(DataType[]::new);
  }

  private SQLMetric metric(String name) {
    return metrics().apply(name);
  }

  @Override
  public scala.collection.immutable.Map<String, SQLMetric> metrics() {
    if (metrics == null) {
      metrics =
          scala.collection.immutable.Map$.MODULE$
              .<String, SQLMetric>empty()
              .$plus$plus(
                  JavaConverters.mapAsScalaMap(
                      Map.of(
                          "numOutputRows",
                          SQLMetrics.createMetric(sparkContext(), "number of output rows"),
                          "numTokens",
                          SQLMetrics.createMetric(sparkContext(), "number of tokens"),
                          "numBatches",
                          SQLMetrics.createMetric(sparkContext(), "number of batches"),
                          "forwardTime",
                          SQLMetrics.createNanoTimingMetric(
                              sparkContext(), "model forward time", -1L))));
    }
    return metrics;
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
  public Partitioning outputPartitioning() {
    return child.outputPartitioning();
  }

  @Override
  public Seq<SortOrder> outputOrdering() {
    return child.outputOrdering();
  }

  @Override
  public Seq<SparkPlan> children() {
    return ScalaUtil.seq(List.of(child));
  }

  @Override
  public SparkPlan withNewChildrenInternal(IndexedSeq<SparkPlan> children) {
    return new BatchModelCallsExec(calls, results, children.apply(0));
  }

  @Override
  public String simpleString(int maxFields) {
    return ModelCallStrategy.describe(
        nodeName(), calls, results, ((ModelCall) calls.head()).settings());
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
    return other instanceof BatchModelCallsExec;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof BatchModelCallsExec node
        && calls.equals(node.calls)
        && results.equals(node.results)
        && child.equals(node.child);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(calls, results, child);
  }
}
