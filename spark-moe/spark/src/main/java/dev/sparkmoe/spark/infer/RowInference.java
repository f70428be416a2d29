package dev.sparkmoe.spark.infer;

import dev.sparkmoe.core.backend.ExpertBackends;
import dev.sparkmoe.core.model.MoeModel;
import java.nio.file.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Data-parallel inference: each partition runs the whole model (the reference forward) on its rows,
 * in batches. Each executor opens the model once and maps its files itself. This is the baseline
 * the expert-parallel pipeline replaces; it shares its input checks and output schema.
 */
public final class RowInference {
  private RowInference() {}

  /**
   * Lazily transforms a tokenized table into one output row per input row.
   *
   * @throws IllegalArgumentException for missing or mistyped columns
   * @throws dev.sparkmoe.core.InvalidModelException when the model cannot be opened (checked on the
   *     driver before any task runs)
   */
  public static Dataset<Row> transform(Dataset<Row> input, InferenceOptions options) {
    StructType schema = input.schema();
    StructField id = InputColumns.id(schema, options.idColumn());
    InputColumns.tokens(schema, options.tokensColumn());
    ExpertBackends.check(options.backend());
    // Fail on the driver, before any task, when the model is missing or malformed.
    MoeModel.open(Path.of(options.modelPath())).close();
    StructType output = OutputSchema.of(id, options.kind());
    return input
        .select(options.idColumn(), options.tokensColumn())
        .mapPartitions(new PartitionInference(options), Encoders.row(output));
  }
}
