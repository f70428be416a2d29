package dev.sparkmoe.spark.infer;

import dev.sparkmoe.core.forward.OutputKind;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The output columns of each kind: the id, then the kind's values (null for a row with no tokens).
 */
public final class OutputSchema {
  private OutputSchema() {}

  public static StructType of(StructField id, OutputKind kind) {
    StructType schema = new StructType().add(id.name(), id.dataType(), id.nullable());
    return switch (kind) {
      case EMBEDDING -> schema.add("embedding", floats(), true);
      case NEXT_TOKEN ->
          schema
              .add("next_token", DataTypes.IntegerType, true)
              .add("logprob", DataTypes.DoubleType, true);
      case SCORE ->
          schema
              .add("score", DataTypes.DoubleType, true)
              .add("num_tokens", DataTypes.IntegerType, true);
      case HIDDEN -> schema.add("hidden", DataTypes.createArrayType(floats(), false), true);
      case GENERATE ->
          schema
              .add("output_tokens", DataTypes.createArrayType(DataTypes.IntegerType, false), true)
              .add("output_logprobs", floats(), true)
              .add("finish_reason", DataTypes.StringType, true)
              .add("num_input_tokens", DataTypes.IntegerType, true)
              .add("num_output_tokens", DataTypes.IntegerType, true);
    };
  }

  private static org.apache.spark.sql.types.ArrayType floats() {
    return DataTypes.createArrayType(DataTypes.FloatType, false);
  }
}
