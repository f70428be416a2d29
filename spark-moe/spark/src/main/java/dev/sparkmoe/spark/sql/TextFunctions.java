package dev.sparkmoe.spark.sql;

import dev.sparkmoe.core.text.TextTokenizer;
import dev.sparkmoe.core.text.TokenizerCache;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.catalyst.expressions.objects.StaticInvoke;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.types.AbstractDataType;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.unsafe.types.UTF8String;
import scala.collection.JavaConverters;
import scala.collection.Seq;

/**
 * {@code moe_tokenize('<tokenizer>', text)} → {@code array<int>} and {@code
 * moe_detokenize('<tokenizer>', tokens)} → {@code string}, with a Hugging Face {@code
 * tokenizer.json} (a folder that holds it, or the file; a constant, loaded when the query is
 * analyzed so that a missing or broken file fails at once, and once per executor). NULL in, NULL
 * out. The calls compile to a static call of {@link #tokenize} / {@link #detokenize} in Spark's
 * generated code.
 */
public final class TextFunctions {
  static final String TOKENIZE = "moe_tokenize";
  static final String DETOKENIZE = "moe_detokenize";
  private static final DataType TOKENS = DataTypes.createArrayType(DataTypes.IntegerType, false);

  private TextFunctions() {}

  static Expression buildTokenize(Seq<Expression> arguments) {
    List<Expression> args = SqlArguments.count(arguments, 2, 2, TOKENIZE + "('<tokenizer>', text)");
    Expression text = args.get(1);
    if (!text.dataType().equals(DataTypes.StringType)) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid argument 2 of %s: %s of type %s (expected: string, the text)",
              TOKENIZE, SqlNames.shown(text), text.dataType().simpleString()));
    }
    return SqlNames.named(
        TOKENIZE, call("tokenize", TOKENS, tokenizer(args, TOKENIZE), text), text);
  }

  static Expression buildDetokenize(Seq<Expression> arguments) {
    List<Expression> args =
        SqlArguments.count(arguments, 2, 2, DETOKENIZE + "('<tokenizer>', tokens)");
    Expression tokens = args.get(1);
    if (!(tokens.dataType() instanceof ArrayType array)
        || !array.elementType().equals(DataTypes.IntegerType)) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid argument 2 of %s: %s of type %s (expected: array<int>, token ids)",
              DETOKENIZE, SqlNames.shown(tokens), tokens.dataType().simpleString()));
    }
    return SqlNames.named(
        DETOKENIZE,
        call("detokenize", DataTypes.StringType, tokenizer(args, DETOKENIZE), tokens),
        tokens);
  }

  /**
   * The ids of {@code text}, special tokens added as the tokenizer defines them. Called by Spark's
   * generated code; thread-safe.
   */
  public static ArrayData tokenize(UTF8String tokenizer, UTF8String text) {
    int[] ids = TokenizerCache.get(tokenizer.toString()).encode(text.toString());
    return new GenericArrayData(java.util.Arrays.stream(ids).boxed().toArray());
  }

  /**
   * The text of {@code tokens}, special tokens left out. Called by Spark's generated code;
   * thread-safe.
   *
   * @throws IllegalArgumentException for a NULL element or a negative id
   */
  public static UTF8String detokenize(UTF8String tokenizer, ArrayData tokens) {
    int[] ids = new int[tokens.numElements()];
    for (int i = 0; i < ids.length; i++) {
      if (tokens.isNullAt(i)) {
        throw new IllegalArgumentException(
            String.format(
                "Invalid token id NULL at position %d of %s (expected: an id >= 0)",
                i, DETOKENIZE));
      }
      ids[i] = tokens.getInt(i);
    }
    return UTF8String.fromString(TokenizerCache.get(tokenizer.toString()).decode(ids));
  }

  /** The tokenizer argument: a constant, resolved to its file and loaded here, on the driver. */
  private static Expression tokenizer(List<Expression> args, String function) {
    String location =
        SqlArguments.constantString(args.get(0), function, 1, "the tokenizer folder or file");
    Path file = TextTokenizer.resolve(Path.of(location));
    TokenizerCache.get(file);
    return Literal.create(file.toString(), DataTypes.StringType);
  }

  private static Expression call(String method, DataType type, Expression... arguments) {
    Seq<Expression> args = JavaConverters.asScalaBuffer(List.of(arguments)).toSeq();
    Seq<AbstractDataType> noTypes =
        JavaConverters.asScalaBuffer(List.<AbstractDataType>of()).toSeq();
    return new StaticInvoke(
        TextFunctions.class,
        type,
        method,
        args,
        noTypes,
        /* propagateNull= */ true,
        /* returnNullable= */ true,
        /* isDeterministic= */ true);
  }
}
