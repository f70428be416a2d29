package dev.sparkmoe.spark.sql;

import dev.sparkmoe.core.forward.OutputKind;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import scala.collection.Seq;

/**
 * {@code moe_embed}, {@code moe_score} and {@code moe_next_token}{@code ('<model path>', tokens[,
 * '<options>'])}: checks the arguments, the options and the model when the query is analyzed and
 * builds the {@link ModelCall}; {@code moe_generate} too, with the generation options.
 */
final class ModelCallFunction {
  private ModelCallFunction() {}

  static String signature(OutputKind kind) {
    return ModelCall.functionName(kind) + "('<model path>', tokens[, '<key=value;...>'])";
  }

  static Expression build(OutputKind kind, Seq<Expression> arguments) {
    String name = ModelCall.functionName(kind);
    return UserErrors.translate(name, () -> call(kind, name, arguments));
  }

  private static Expression call(OutputKind kind, String name, Seq<Expression> arguments) {
    List<Expression> args = SqlArguments.count(arguments, 2, 3, signature(kind));
    String model = SqlArguments.constantString(args.get(0), name, 1, "the model path");
    Expression tokens = args.get(1);
    checkTokens(tokens, name);
    Map<String, String> options =
        args.size() == 3
            ? InferenceOptions.parse(
                SqlArguments.constantString(args.get(2), name, 3, "the options"), name)
            : Map.of();
    ScalarSettings settings =
        ScalarSettings.resolve(SparkSession.active(), model, options, name, kind);
    return SqlNames.named(name, new ModelCall(kind, settings, tokens), tokens);
  }

  private static void checkTokens(Expression tokens, String name) {
    DataType type = tokens.dataType();
    if (!(type instanceof ArrayType array) || !isIntegral(array.elementType())) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid argument 2 of %s: %s of type %s (expected: array<int>, a token column)",
              name, SqlNames.shown(tokens), type.simpleString()));
    }
  }

  private static boolean isIntegral(DataType type) {
    return type.equals(DataTypes.IntegerType)
        || type.equals(DataTypes.LongType)
        || type.equals(DataTypes.ShortType)
        || type.equals(DataTypes.ByteType);
  }
}
