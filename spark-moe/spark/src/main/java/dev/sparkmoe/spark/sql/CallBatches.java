package dev.sparkmoe.spark.sql;

import dev.sparkmoe.core.forward.OutputHead;
import dev.sparkmoe.core.forward.OutputKind;
import dev.sparkmoe.core.generate.Generation;
import dev.sparkmoe.spark.infer.RowTokens;
import dev.sparkmoe.spark.pipeline.InTaskForward;
import dev.sparkmoe.spark.pipeline.InvalidTokenPolicy;
import dev.sparkmoe.spark.pipeline.ScalarForward;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.execution.metric.SQLMetric;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.unsafe.types.UTF8String;
import scala.collection.JavaConverters;

/**
 * One partition's rows through a {@link BatchModelCalls} node: reads {@code batch-rows} rows,
 * evaluates the calls' token arguments, runs one forward (in-task or through the query's expert
 * servers) per distinct argument over the batch's rows that have tokens, and emits each input row
 * with the calls' results appended. Not thread-safe: one per task.
 */
final class CallBatches implements Iterator<InternalRow> {
  private final Plan plan;
  private final Iterator<InternalRow> rows;
  private final Metrics metrics;
  private final UnsafeProjection arguments;
  private final UnsafeProjection output;
  private final JoinedRow joined = new JoinedRow();
  private ScalarForward forward;
  private Object[] ids;
  private List<InternalRow> batch = List.of();
  private Object[][] results;
  private int next;
  private long rowIndex;

  /**
   * What a task needs to evaluate a node's calls, shipped in its closure.
   *
   * @param arguments the distinct token arguments of the calls, over {@code input}
   * @param argumentOf per call, the index of its argument
   * @param kinds per call, its output kind
   * @param settings the calls' shared settings
   * @param input the child's output
   * @param outputTypes the types of the child's columns, then of the calls' results
   * @param idOrdinal the input column that names a row in messages, or -1
   * @param forward where each task opens its forward: in-task or through the query's servers
   */
  @SuppressWarnings("ArrayRecordComponent") // built once on the driver, read-only after
  record Plan(
      List<Expression> arguments,
      int[] argumentOf,
      OutputKind[] kinds,
      ScalarSettings settings,
      List<Attribute> input,
      DataType[] outputTypes,
      int idOrdinal,
      ScalarForward.Source forward)
      implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /** The operator's counters, in the Spark UI. */
  record Metrics(SQLMetric rows, SQLMetric tokens, SQLMetric batches, SQLMetric forwardNanos)
      implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  CallBatches(Plan plan, Iterator<InternalRow> rows, Metrics metrics) {
    this.plan = plan;
    this.rows = rows;
    this.metrics = metrics;
    this.arguments =
        UnsafeProjection.create(
            JavaConverters.asScalaBuffer(plan.arguments()).toSeq(),
            JavaConverters.asScalaBuffer(plan.input()).toSeq());
    this.output = UnsafeProjection.create(plan.outputTypes());
  }

  /** One call on one row, outside a batch: {@link ModelCall#eval}'s slow path. */
  static Object evalAlone(ModelCall call, ArrayData values) {
    if (call.settings().placement().isService()) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot run %s row by row through the expert service (in a join condition or after"
                  + " an aggregation): move the call into a projection or a filter below, or"
                  + " pass 'placement=in-task' for a model that fits a task",
              call.prettyName()));
    }
    if (call.kind() == OutputKind.GENERATE) {
      throw new IllegalArgumentException(
          "Cannot run moe_generate row by row (in a join condition or after an aggregation): its"
              + " seeded draws are keyed by the row's id; move the call into a projection or a"
              + " filter below");
    }
    ScalarForward forward = InTaskForward.open(call.settings().model());
    int[] tokens =
        read(call.settings(), forward, values, elementType(call.tokens()), "(outside a batch)");
    return tokens == null ? null : value(call.kind(), forward.run(List.of(tokens)), 0);
  }

  @Override
  public boolean hasNext() {
    if (next < batch.size()) {
      return true;
    }
    readBatch();
    return !batch.isEmpty();
  }

  @Override
  public InternalRow next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    int r = next++;
    Object[] values = new Object[results.length];
    for (int c = 0; c < values.length; c++) {
      values[c] = results[c][r];
    }
    return output.apply(joined.apply(batch.get(r), new GenericInternalRow(values)));
  }

  private void readBatch() {
    List<InternalRow> read = new ArrayList<>(plan.settings().batchRows());
    while (read.size() < plan.settings().batchRows() && rows.hasNext()) {
      read.add(rows.next().copy());
    }
    batch = read;
    next = 0;
    results = new Object[plan.kinds().length][read.size()];
    if (read.isEmpty()) {
      return;
    }
    if (forward == null) {
      forward = plan.forward().open();
    }
    int[][][] tokens = tokens(read);
    for (int a = 0; a < plan.arguments().size(); a++) {
      run(a, tokens[a]);
    }
    metrics.rows().add(read.size());
    metrics.batches().add(1);
  }

  /** Per argument, per row of the batch: the row's tokens, or null for no output. */
  private int[][][] tokens(List<InternalRow> read) {
    int[][][] tokens = new int[plan.arguments().size()][read.size()][];
    ids = new Object[read.size()];
    for (int r = 0; r < read.size(); r++) {
      InternalRow row = read.get(r);
      ids[r] = id(row);
      UnsafeRow values = arguments.apply(row);
      String label = label(row);
      for (int a = 0; a < tokens.length; a++) {
        ArrayData array = values.isNullAt(a) ? null : values.getArray(a);
        tokens[a][r] =
            read(plan.settings(), forward, array, elementType(plan.arguments().get(a)), label);
      }
      rowIndex++;
    }
    return tokens;
  }

  /** One forward over the rows with tokens for argument {@code a}; fills its calls' results. */
  private void run(int a, int[][] rowTokens) {
    List<int[]> present = new ArrayList<>();
    int[] rowOf = new int[rowTokens.length];
    long numTokens = 0;
    for (int r = 0; r < rowTokens.length; r++) {
      if (rowTokens[r] != null) {
        rowOf[present.size()] = r;
        present.add(rowTokens[r]);
        numTokens += rowTokens[r].length;
      }
    }
    if (present.isEmpty()) {
      return;
    }
    long start = System.nanoTime();
    InTaskForward.Outputs outputs = null;
    List<Generation> generations = null;
    for (int c = 0; c < plan.kinds().length; c++) {
      if (plan.argumentOf()[c] != a) {
        continue;
      }
      OutputKind kind = plan.kinds()[c];
      if (kind == OutputKind.GENERATE && generations == null) {
        generations =
            forward.generate(idsOf(rowOf, present.size()), present, plan.settings().generate());
      } else if (kind != OutputKind.GENERATE && outputs == null) {
        outputs = forward.run(present);
      }
      for (int i = 0; i < present.size(); i++) {
        results[c][rowOf[i]] =
            kind == OutputKind.GENERATE ? generated(generations.get(i)) : value(kind, outputs, i);
      }
    }
    metrics.forwardNanos().add(System.nanoTime() - start);
    metrics.tokens().add(numTokens);
  }

  private List<Object> idsOf(int[] rowOf, int count) {
    List<Object> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      out.add(ids[rowOf[i]]);
    }
    return out;
  }

  /**
   * The row's id, which keys its seeded draws as {@code moe infer}'s id column does; else its place
   * in the partition.
   */
  private Object id(InternalRow row) {
    if (plan.idOrdinal() >= 0 && !row.isNullAt(plan.idOrdinal())) {
      DataType type = plan.input().get(plan.idOrdinal()).dataType();
      Object id = row.get(plan.idOrdinal(), type);
      return id instanceof UTF8String text ? text.toString() : id;
    }
    return rowIndex;
  }

  /** {@code moe_generate}'s struct for one row's generation. */
  private static Object generated(Generation g) {
    return new GenericInternalRow(
        new Object[] {
          UnsafeArrayData.fromPrimitiveArray(g.tokens()),
          UnsafeArrayData.fromPrimitiveArray(g.logprobs()),
          UTF8String.fromString(g.finishReason().outputName()),
          g.numInputTokens(),
          g.numOutputTokens()
        });
  }

  /** The row's id as messages show it, else its place in the partition. */
  private String label(InternalRow row) {
    if (plan.idOrdinal() >= 0 && !row.isNullAt(plan.idOrdinal())) {
      DataType type = plan.input().get(plan.idOrdinal()).dataType();
      return String.valueOf(row.get(plan.idOrdinal(), type));
    }
    return String.format("#%d of partition %d", rowIndex, TaskContext.getPartitionId());
  }

  /**
   * A row's tokens, checked: null for no output (a NULL or empty array, or an invalid row under
   * {@code on-row-error=skip}).
   *
   * @throws IllegalArgumentException for an invalid row under {@code fail}, naming it and the fix
   */
  private static int[] read(
      ScalarSettings settings,
      ScalarForward forward,
      ArrayData values,
      DataType elementType,
      String label) {
    try {
      return RowTokens.read(values, elementType, label, forward.config());
    } catch (IllegalArgumentException e) {
      if (settings.invalidTokens() == InvalidTokenPolicy.SKIP) {
        return null;
      }
      throw new IllegalArgumentException(
          e.getMessage()
              + "; fix the row, or pass the option 'on-row-error=skip' for a NULL result");
    }
  }

  private static DataType elementType(Expression tokens) {
    return ((ArrayType) tokens.dataType()).elementType();
  }

  /** Row {@code r}'s result for {@code kind}, in Catalyst's representation. */
  private static Object value(OutputKind kind, InTaskForward.Outputs outputs, int r) {
    return switch (kind) {
      case EMBEDDING -> UnsafeArrayData.fromPrimitiveArray(outputs.embedding(r));
      case SCORE -> outputs.score(r).logLikelihood();
      case NEXT_TOKEN -> {
        OutputHead.NextToken next = outputs.nextToken(r);
        yield new GenericInternalRow(new Object[] {next.token(), next.logprob()});
      }
      case HIDDEN, GENERATE ->
          throw new IllegalStateException(
              "No scalar function returns output kind " + kind.cliName());
    };
  }
}
