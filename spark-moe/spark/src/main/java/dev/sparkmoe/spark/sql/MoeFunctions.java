package dev.sparkmoe.spark.sql;

import dev.sparkmoe.core.config.MoeOptions;
import dev.sparkmoe.core.forward.OutputKind;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.analysis.FunctionRegistry;
import org.apache.spark.sql.catalyst.analysis.TableFunctionRegistry;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.ExpressionInfo;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import scala.Function1;
import scala.Tuple3;
import scala.collection.Seq;

/**
 * spark-moe's SQL functions, and their registration in a session that already exists.
 *
 * <pre>{@code
 * MoeFunctions.register(spark);                                  // Java, Scala
 * spark._jvm.dev.sparkmoe.spark.sql.MoeFunctions.register(spark._jsparkSession)   # PySpark
 * }</pre>
 */
public final class MoeFunctions {
  private static final String SINCE = "0.1.0";
  private static final String SOURCE = "java_udf";

  private MoeFunctions() {}

  /**
   * Registers {@code moe_infer}, the scalar model functions ({@code moe_embed}, {@code moe_score},
   * {@code moe_next_token}), {@code moe_num_tokens}, {@code moe_model_info}, {@code moe_truncate},
   * {@code moe_windows}, {@code moe_tokenize} and {@code moe_detokenize} in {@code spark}'s
   * function registries, and the rule and strategy that batch the model functions in its
   * experimental methods, for a session created before the spark-moe jar was on its classpath (a
   * notebook attached to a running cluster). A function the session already has is left as it is,
   * so calling this twice, or in a session that has the extension, changes nothing. The functions
   * live in this session only; {@link SparkSession#newSession()} starts without them unless the
   * extension is configured.
   */
  public static void register(SparkSession spark) {
    ModelCallPlanning.register(spark);
    FunctionRegistry functions = spark.sessionState().functionRegistry();
    for (Scalar function : scalars()) {
      if (!functions.functionExists(function.id())) {
        functions.registerFunction(function.id(), function.info(), function.builder());
      }
    }
    TableFunctionRegistry tables = spark.sessionState().tableFunctionRegistry();
    Table infer = inferFunction();
    if (!tables.functionExists(infer.id())) {
      tables.registerFunction(infer.id(), infer.info(), infer.builder());
    }
  }

  /** A scalar function: its name, its {@code DESCRIBE FUNCTION} text and its builder. */
  record Scalar(
      FunctionIdentifier id, ExpressionInfo info, Function1<Seq<Expression>, Expression> builder) {
    Tuple3<FunctionIdentifier, ExpressionInfo, Function1<Seq<Expression>, Expression>>
        description() {
      return new Tuple3<>(id, info, builder);
    }
  }

  /** A table-valued function: its name, its {@code DESCRIBE FUNCTION} text and its builder. */
  record Table(
      FunctionIdentifier id, ExpressionInfo info, Function1<Seq<Expression>, LogicalPlan> builder) {
    Tuple3<FunctionIdentifier, ExpressionInfo, Function1<Seq<Expression>, LogicalPlan>>
        description() {
      return new Tuple3<>(id, info, builder);
    }
  }

  static List<Scalar> scalars() {
    return List.of(
        modelCall(
            OutputKind.EMBEDDING,
            "the embedding of the row's tokens, array<float>: the mean over positions of the"
                + " final-normalized hidden state, as moe_infer's embedding",
            "> SELECT id, _FUNC_('/models/m', tokens) AS embedding FROM docs;"),
        modelCall(
            OutputKind.SCORE,
            "the causal log-likelihood of the row's tokens, double: the sum over positions t >= 1"
                + " of log p(token_t | tokens before t), as moe_infer's score",
            "> SELECT id, _FUNC_('/models/m', tokens) AS score FROM docs WHERE lang = 'en';"),
        modelCall(
            OutputKind.NEXT_TOKEN,
            "the most likely next token after the row's tokens and its log-probability,"
                + " struct<token int, logprob double>, as moe_infer's next-token",
            "> SELECT _FUNC_('/models/m', tokens).token FROM docs;"),
        modelCall(
            OutputKind.GENERATE,
            "new tokens after the row's tokens, struct<output_tokens array<int>, output_logprobs"
                + " array<float>, finish_reason string, num_input_tokens int, num_output_tokens"
                + " int>, as moe_infer's generate (in-task only for now)",
            "> SELECT id, _FUNC_('/models/m', tokens, 'max-new-tokens=8').output_tokens FROM"
                + " docs;"),
        new Scalar(
            new FunctionIdentifier(NumTokensFunction.NAME),
            info(
                NumTokensFunction.class,
                NumTokensFunction.NAME,
                "_FUNC_(tokens) - The number of token ids in an array<int> token column; NULL for a"
                    + " NULL array.",
                "> SELECT _FUNC_(array(1, 2, 3));\n       3",
                "misc_funcs"),
            NumTokensFunction::build),
        new Scalar(
            new FunctionIdentifier(ModelInfoFunction.NAME),
            info(
                ModelInfoFunction.class,
                ModelInfoFunction.NAME,
                "_FUNC_(model_path) - The shape of the model in model_path (a folder with"
                    + " config.json), as a struct: architecture, layers, experts, top_k, sizes."
                    + " Reads only config.json, when the query is analyzed.",
                "> SELECT _FUNC_('/models/m').num_experts;\n       16",
                "misc_funcs"),
            ModelInfoFunction::build),
        new Scalar(
            new FunctionIdentifier(TruncateTokens.NAME),
            info(
                TruncateTokens.class,
                TruncateTokens.NAME,
                "_FUNC_(tokens, n) - The first n ids of an array<int> token column (all of them when"
                    + " there are fewer); NULL when tokens or n is NULL. Runs on the GPU under the"
                    + " RAPIDS Accelerator.",
                "> SELECT _FUNC_(array(1, 2, 3), 2);\n       [1,2]",
                "collection_funcs"),
            TokenArrayFunctions::truncate),
        new Scalar(
            new FunctionIdentifier(TokenWindows.NAME),
            info(
                TokenWindows.class,
                TokenWindows.NAME,
                "_FUNC_(tokens, length, stride) - An array<int> token column split into windows of"
                    + " up to length ids starting every stride ids (1 <= stride <= length), the"
                    + " last one the first that reaches the end: array<array<int>>, for explode."
                    + " No windows for an empty array; NULL when an argument is NULL. Runs on the"
                    + " GPU under the RAPIDS Accelerator.",
                "> SELECT _FUNC_(array(1, 2, 3, 4, 5), 3, 2);\n       [[1,2,3],[3,4,5]]",
                "collection_funcs"),
            TokenArrayFunctions::windows),
        new Scalar(
            new FunctionIdentifier(TextFunctions.TOKENIZE),
            info(
                TextFunctions.class,
                TextFunctions.TOKENIZE,
                "_FUNC_(tokenizer, text) - The token ids (array<int>) of text with the Hugging Face"
                    + " tokenizer.json in tokenizer (a folder or the file, a constant), special"
                    + " tokens such as BOS added as the tokenizer defines them; NULL for NULL.",
                "> SELECT _FUNC_('/models/m', 'Hello world');\n       [1,43,72,79]",
                "string_funcs"),
            TextFunctions::buildTokenize),
        new Scalar(
            new FunctionIdentifier(TextFunctions.DETOKENIZE),
            info(
                TextFunctions.class,
                TextFunctions.DETOKENIZE,
                "_FUNC_(tokenizer, tokens) - The text of an array<int> of token ids with the"
                    + " Hugging Face tokenizer.json in tokenizer (a folder or the file, a"
                    + " constant), special tokens left out; NULL for NULL.",
                "> SELECT _FUNC_('/models/m', array(1, 43, 72, 79));\n       Hell",
                "string_funcs"),
            TextFunctions::buildDetokenize));
  }

  private static Scalar modelCall(OutputKind kind, String returns, String example) {
    String name = ModelCall.functionName(kind);
    return new Scalar(
        new FunctionIdentifier(name),
        info(
            ModelCall.class,
            name,
            "_FUNC_(model_path, tokens[, options]) - Runs the model over each row's tokens"
                + " (array<int>) and returns "
                + returns
                + "; NULL for NULL or empty tokens. Rows go to the model in batches, in-task on"
                + " the executors. options: 'key=value;...' with the keys "
                + String.join(
                    ", ",
                    MoeOptions.keys(
                        kind == OutputKind.GENERATE
                            ? ScalarSettings.GENERATE_OPTIONS
                            : ScalarSettings.OPTIONS))
                + ".",
            example,
            "misc_funcs"),
        arguments -> ModelCallFunction.build(kind, arguments));
  }

  static Table inferFunction() {
    return new Table(
        new FunctionIdentifier(MoeInferFunction.NAME),
        info(
            MoeInferFunction.class,
            MoeInferFunction.NAME,
            "_FUNC_(model_path, table, kind[, options]) - Runs the model over a tokenized table or"
                + " view (an id column and an array<int> token column) with the expert-parallel"
                + " pipeline, one output row per input row. kind: "
                + MoeOptions.KIND.doc()
                + ". options: 'key=value;...' with these keys; an unset key comes from the session"
                + " conf spark.moe.<key>, then the default in parentheses (id-column and"
                + " tokens-column: the default only): "
                + optionsWithDefaults()
                + ". The pipeline runs when the query is analyzed.",
            "> SELECT * FROM _FUNC_('/models/m', 'docs', 'score', 'placement=one-per-gpu');",
            "table_funcs"),
        MoeInferFunction::build);
  }

  private static String optionsWithDefaults() {
    return InferenceOptions.OPTIONS.stream()
        .map(o -> o.key() + " (" + o.defaultDoc() + ")")
        .collect(Collectors.joining(", "));
  }

  private static ExpressionInfo info(
      Class<?> implementation, String name, String usage, String example, String group) {
    return new ExpressionInfo(
        implementation.getName(),
        /* db= */ null,
        name,
        usage,
        /* arguments= */ "",
        "\n    Examples:\n      " + example + "\n  ",
        /* note= */ "",
        group,
        SINCE,
        /* deprecated= */ "",
        SOURCE);
  }
}
