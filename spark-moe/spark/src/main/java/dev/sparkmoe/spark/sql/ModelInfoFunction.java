package dev.sparkmoe.spark.sql;

import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.model.ModelConfigReader;
import java.nio.file.Path;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.collection.Seq;

/**
 * {@code moe_model_info('<path>')}: the model's shape as a struct, read from its {@code
 * config.json} when the query is analyzed (a constant in the plan; no weights are read).
 */
final class ModelInfoFunction {
  static final String NAME = "moe_model_info";

  /** The struct's fields, in order. */
  static final StructType SCHEMA =
      new StructType()
          .add("architecture", DataTypes.StringType, false)
          .add("num_layers", DataTypes.IntegerType, false)
          .add("num_experts", DataTypes.IntegerType, false)
          .add("top_k", DataTypes.IntegerType, false)
          .add("hidden_size", DataTypes.IntegerType, false)
          .add("intermediate_size", DataTypes.IntegerType, false)
          .add("num_heads", DataTypes.IntegerType, false)
          .add("num_kv_heads", DataTypes.IntegerType, false)
          .add("head_dim", DataTypes.IntegerType, false)
          .add("vocab_size", DataTypes.IntegerType, false)
          .add("max_position_embeddings", DataTypes.IntegerType, false)
          .add("tie_word_embeddings", DataTypes.BooleanType, false)
          .add("total_experts", DataTypes.IntegerType, false)
          .add("expert_parameters", DataTypes.LongType, false);

  private ModelInfoFunction() {}

  static Expression build(Seq<Expression> arguments) {
    Expression pathArgument = SqlArguments.count(arguments, 1, 1, NAME + "('<model path>')").get(0);
    String path = SqlArguments.constantString(pathArgument, NAME, 1, "the model path");
    ModelConfig config = ModelConfigReader.read(Path.of(path));
    return SqlNames.named(NAME, Literal.create(row(config), SCHEMA), pathArgument);
  }

  private static org.apache.spark.sql.Row row(ModelConfig c) {
    return RowFactory.create(
        c.architecture().className(),
        c.numLayers(),
        c.numExperts(),
        c.topK(),
        c.hiddenSize(),
        c.intermediateSize(),
        c.numHeads(),
        c.numKvHeads(),
        c.headDim(),
        c.vocabSize(),
        c.maxPositionEmbeddings(),
        c.tieWordEmbeddings(),
        c.numLayers() * c.numExperts(),
        3L * c.hiddenSize() * c.intermediateSize());
  }
}
