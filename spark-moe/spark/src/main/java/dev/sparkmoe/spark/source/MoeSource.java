package dev.sparkmoe.spark.source;

import dev.sparkmoe.spark.sql.UserErrors;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SQLContext;
import org.apache.spark.sql.sources.BaseRelation;
import org.apache.spark.sql.sources.DataSourceRegister;
import org.apache.spark.sql.sources.RelationProvider;
import scala.collection.JavaConverters;

/**
 * {@code spark.read.format("moe")}: inference results as a DataFrame.
 *
 * <pre>{@code
 * spark.read().format("moe").option("model", "/models/m").option("input", "docs")
 *     .option("kind", "score").option("placement", "one-per-gpu").load();
 * }</pre>
 *
 * <p>Options: {@code model} (required), {@code input} (required: a table or view, else a path; or
 * give the path to {@code load}), {@code kind} ({@code embedding} by default), {@code input-format}
 * (the format of a path: {@code parquet} by default, any Spark format, {@code moe-tokens}
 * included), options for that format prefixed with {@code input.}, and the pipeline settings of
 * {@link dev.sparkmoe.spark.sql.InferenceOptions}.
 *
 * <p>The pipeline runs in {@code load()}, as {@link
 * dev.sparkmoe.spark.pipeline.MoeInference#transform} does: the DataFrame it returns holds the
 * persisted rows of that one run, and actions on it do not run the model again.
 */
public final class MoeSource implements RelationProvider, DataSourceRegister {
  static final String WHERE = "format moe";

  @Override
  public String shortName() {
    return "moe";
  }

  @Override
  public BaseRelation createRelation(
      SQLContext sqlContext, scala.collection.immutable.Map<String, String> parameters) {
    Map<String, String> options = new HashMap<>();
    JavaConverters.mapAsJavaMap(parameters)
        .forEach((key, value) -> options.put(key.toLowerCase(Locale.ROOT), value));
    return UserErrors.translate(
        WHERE, () -> MoeRelation.run(sqlContext, MoeSourceOptions.parse(options)));
  }
}
