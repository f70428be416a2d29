package dev.sparkmoe.spark.sql;

import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.encoders.ExpressionEncoder;
import org.apache.spark.sql.catalyst.expressions.Cast;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.ScalaUDF;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import scala.Option;
import scala.collection.JavaConverters;
import scala.collection.Seq;

/**
 * The builders of {@code moe_truncate(tokens, n)} and {@code moe_windows(tokens, length, stride)}:
 * they check the argument types (and constant arguments, so a bad literal fails at analysis), then
 * call {@link TruncateTokens} or {@link TokenWindows} as a {@code ScalaUDF}, the instances of
 * {@link TokenUdfs#active()}: with spark-moe-rapids and RAPIDS present, the RAPIDS Accelerator
 * replaces the UDF with their columnar GPU path.
 */
final class TokenArrayFunctions {
  static final String TRUNCATE_SIGNATURE = TruncateTokens.NAME + "(tokens, n)";
  static final String WINDOWS_SIGNATURE = TokenWindows.NAME + "(tokens, length, stride)";

  private TokenArrayFunctions() {}

  static Expression truncate(Seq<Expression> arguments) {
    List<Expression> args = SqlArguments.count(arguments, 2, 2, TRUNCATE_SIGNATURE);
    ArrayType tokens = tokenArray(args.get(0), TruncateTokens.NAME);
    Expression n = intArgument(args.get(1), TruncateTokens.NAME, 2, "n, the ids to keep");
    constant(n).ifPresent(TruncateTokens::checkCount);
    return udf(TokenUdfs.active().truncate(), TruncateTokens.NAME, tokens, List.of(args.get(0), n));
  }

  static Expression windows(Seq<Expression> arguments) {
    List<Expression> args = SqlArguments.count(arguments, 3, 3, WINDOWS_SIGNATURE);
    ArrayType tokens = tokenArray(args.get(0), TokenWindows.NAME);
    Expression length = intArgument(args.get(1), TokenWindows.NAME, 2, "length");
    Expression stride = intArgument(args.get(2), TokenWindows.NAME, 3, "stride");
    Optional<Integer> constantLength = constant(length);
    Optional<Integer> constantStride = constant(stride);
    if (constantLength.isPresent() && constantStride.isPresent()) {
      TokenWindows.checkShape(constantLength.get(), constantStride.get());
    }
    ArrayType windows = DataTypes.createArrayType(tokens, /* containsNull= */ false);
    return udf(
        TokenUdfs.active().windows(),
        TokenWindows.NAME,
        windows,
        List.of(args.get(0), length, stride));
  }

  private static ArrayType tokenArray(Expression tokens, String function) {
    DataType type = tokens.dataType();
    if (!(type instanceof ArrayType array) || !array.elementType().equals(DataTypes.IntegerType)) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid argument 1 of %s: %s of type %s (expected: array<int>, a token column)",
              function, SqlNames.shown(tokens), type.simpleString()));
    }
    return array;
  }

  /** Checks an int argument; a NULL literal becomes an int NULL. */
  private static Expression intArgument(
      Expression argument, String function, int position, String role) {
    if (argument.dataType().equals(DataTypes.NullType)) {
      return new Cast(argument, DataTypes.IntegerType, Option.empty());
    }
    if (!argument.dataType().equals(DataTypes.IntegerType)) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid argument %d of %s: %s of type %s (expected: int, %s)",
              position,
              function,
              SqlNames.shown(argument),
              argument.dataType().simpleString(),
              role));
    }
    return argument;
  }

  /** The value of an int argument that is a non-NULL constant. */
  private static Optional<Integer> constant(Expression argument) {
    return argument.foldable()
        ? Optional.ofNullable((Integer) argument.eval((InternalRow) null))
        : Optional.empty();
  }

  private static Expression udf(
      Object function, String name, DataType result, List<Expression> children) {
    Seq<Option<ExpressionEncoder<?>>> noEncoders =
        JavaConverters.asScalaBuffer(List.<Option<ExpressionEncoder<?>>>of()).toSeq();
    return new ScalaUDF(
        function,
        result,
        JavaConverters.asScalaBuffer(children).toSeq(),
        noEncoders,
        Option.empty(),
        Option.apply(name),
        /* nullable= */ true,
        /* udfDeterministic= */ true);
  }
}
