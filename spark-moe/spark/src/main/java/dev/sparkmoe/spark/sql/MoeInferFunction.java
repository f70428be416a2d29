package dev.sparkmoe.spark.sql;

import dev.sparkmoe.core.model.ModelConfigReader;
import dev.sparkmoe.spark.pipeline.MoeInference;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import scala.collection.Seq;

/**
 * {@code moe_infer('<model path>', '<table or view>', '<kind>'[, '<options>'])}: checks its
 * arguments, the model and the table, runs the pipeline in the session that analyzes the query, and
 * returns the plan of the (persisted) output rows.
 */
final class MoeInferFunction {
  static final String NAME = "moe_infer";
  static final String SIGNATURE =
      NAME + "('<model path>', '<table or view>', '<kind>'[, '<key=value;...>'])";

  private MoeInferFunction() {}

  static LogicalPlan build(Seq<Expression> arguments) {
    return UserErrors.translate(NAME, () -> plan(arguments));
  }

  private static LogicalPlan plan(Seq<Expression> arguments) {
    List<Expression> args = SqlArguments.count(arguments, 3, 4, SIGNATURE);
    String model = SqlArguments.constantString(args.get(0), NAME, 1, "the model path");
    String table = SqlArguments.constantString(args.get(1), NAME, 2, "the table or view");
    String kind = SqlArguments.constantString(args.get(2), NAME, 3, "the output kind");
    Map<String, String> options =
        args.size() == 4
            ? InferenceOptions.parse(
                SqlArguments.constantString(args.get(3), NAME, 4, "the options"), NAME)
            : Map.of();
    InferenceOptions settings =
        InferenceOptions.apply(MoeInference.of(model).kind(kind), options, NAME);
    ModelConfigReader.read(Path.of(model));
    SparkSession spark = SparkSession.active();
    Dataset<Row> input = TableInput.table(spark, table, NAME);
    TableInput.checkColumns(input, settings, table);
    return settings.inference().transform(input).queryExecution().analyzed();
  }
}
