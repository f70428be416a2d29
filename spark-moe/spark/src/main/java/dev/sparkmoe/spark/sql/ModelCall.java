package dev.sparkmoe.spark.sql;

import dev.sparkmoe.core.forward.OutputKind;
import java.io.Serializable;
import java.util.List;
import java.util.Objects;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.Unevaluable;
import org.apache.spark.sql.catalyst.expressions.codegen.CodegenContext;
import org.apache.spark.sql.catalyst.expressions.codegen.CodegenFallback;
import org.apache.spark.sql.catalyst.expressions.codegen.ExprCode;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.collection.IndexedSeq;
import scala.collection.JavaConverters;
import scala.collection.Seq;

/**
 * One call of {@code moe_embed}, {@code moe_score}, {@code moe_next_token} or {@code moe_generate}
 * in a query: the model applied to one row's tokens. {@link ExtractModelCalls} pulls calls out of
 * {@code Project}, {@code Filter} and aggregate functions into a {@link BatchModelCalls} node,
 * which runs each partition's rows through the model in batches. Where a call stays in an
 * expression that rule does not reach (a join condition, a post-aggregation expression), {@link
 * #eval} runs the row alone: the same numbers, one forward per row.
 *
 * <p>{@link Unevaluable} in Spark's eyes, so that constant folding and the conversion of a
 * projection over local rows ({@code ConvertToLocalRelation}) leave it to the batching rule rather
 * than run the model on the driver row by row; {@link #eval} and {@link #doGenCode} still work.
 *
 * <p>Immutable; NULL for a NULL or empty token array, and for a row with invalid tokens under
 * {@code on-row-error=skip}.
 */
public final class ModelCall extends Expression
    implements Unevaluable, CodegenFallback, Serializable {
  private static final long serialVersionUID = 1L;

  /** The struct {@code moe_next_token} returns. */
  static final StructType NEXT_TOKEN =
      new StructType()
          .add("token", DataTypes.IntegerType, false)
          .add("logprob", DataTypes.DoubleType, false);

  /** The struct {@code moe_generate} returns: {@code moe infer --kind generate}'s columns. */
  static final StructType GENERATED =
      new StructType()
          .add("output_tokens", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
          .add("output_logprobs", DataTypes.createArrayType(DataTypes.FloatType, false), false)
          .add("finish_reason", DataTypes.StringType, false)
          .add("num_input_tokens", DataTypes.IntegerType, false)
          .add("num_output_tokens", DataTypes.IntegerType, false);

  private final OutputKind kind;
  private final ScalarSettings settings;
  private final Expression tokens;

  /** Reflection (Catalyst's {@code makeCopy}) finds this constructor by its product elements. */
  public ModelCall(OutputKind kind, ScalarSettings settings, Expression tokens) {
    this.kind = kind;
    this.settings = settings;
    this.tokens = tokens;
  }

  /** The SQL name of the function that computes {@code kind}. */
  static String functionName(OutputKind kind) {
    return switch (kind) {
      case EMBEDDING -> "moe_embed";
      case SCORE -> "moe_score";
      case NEXT_TOKEN -> "moe_next_token";
      case GENERATE -> "moe_generate";
      case HIDDEN ->
          throw new IllegalArgumentException(
              "No scalar function returns output kind " + kind.cliName());
    };
  }

  OutputKind kind() {
    return kind;
  }

  ScalarSettings settings() {
    return settings;
  }

  Expression tokens() {
    return tokens;
  }

  @Override
  public DataType dataType() {
    return switch (kind) {
      case EMBEDDING -> DataTypes.createArrayType(DataTypes.FloatType, false);
      case SCORE -> DataTypes.DoubleType;
      case NEXT_TOKEN -> NEXT_TOKEN;
      case GENERATE -> GENERATED;
      case HIDDEN ->
          throw new IllegalStateException(
              "No scalar function returns output kind " + kind.cliName());
    };
  }

  @Override
  public boolean nullable() {
    return true;
  }

  @Override
  public Object eval(InternalRow row) {
    return CallBatches.evalAlone(this, (ArrayData) tokens.eval(row));
  }

  @Override
  public ExprCode doGenCode(CodegenContext ctx, ExprCode ev) {
    return CodegenFallback.super.doGenCode(ctx, ev);
  }

  @Override
  public Seq<Expression> children() {
    return JavaConverters.asScalaBuffer(List.of(tokens)).toSeq();
  }

  @Override
  public Expression withNewChildrenInternal(IndexedSeq<Expression> children) {
    return new ModelCall(kind, settings, children.apply(0));
  }

  @Override
  public String prettyName() {
    return functionName(kind);
  }

  @Override
  public String toString() {
    return prettyName() + "(" + tokens + ")";
  }

  @Override
  public String sql() {
    return String.format("%s('%s', %s)", prettyName(), settings.model().path(), tokens.sql());
  }

  @Override
  public int productArity() {
    return 3;
  }

  @Override
  public Object productElement(int n) {
    return switch (n) {
      case 0 -> kind;
      case 1 -> settings;
      case 2 -> tokens;
      default -> throw new IndexOutOfBoundsException(Integer.toString(n));
    };
  }

  @Override
  public boolean canEqual(Object other) {
    return other instanceof ModelCall;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ModelCall call
        && kind == call.kind
        && settings.equals(call.settings)
        && tokens.equals(call.tokens);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, settings, tokens);
  }
}
