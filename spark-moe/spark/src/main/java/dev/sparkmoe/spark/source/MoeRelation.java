package dev.sparkmoe.spark.source;

import dev.sparkmoe.core.IoErrors;
import dev.sparkmoe.core.model.ModelConfigReader;
import dev.sparkmoe.spark.sql.TableInput;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SQLContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.sources.BaseRelation;
import org.apache.spark.sql.sources.TableScan;
import org.apache.spark.sql.types.StructType;

/** The rows of one finished pipeline run, as a relation Spark scans. */
final class MoeRelation extends BaseRelation implements TableScan {
  private final SQLContext sqlContext;
  private final Dataset<Row> rows;

  private MoeRelation(SQLContext sqlContext, Dataset<Row> rows) {
    this.sqlContext = sqlContext;
    this.rows = rows;
  }

  /** Checks the model and the input, runs the pipeline, and holds its (persisted) rows. */
  static MoeRelation run(SQLContext sqlContext, MoeSourceOptions options) {
    ModelConfigReader.read(Path.of(options.model()));
    SparkSession spark = sqlContext.sparkSession();
    Dataset<Row> input = input(spark, options);
    TableInput.checkColumns(input, options.settings(), options.input());
    return new MoeRelation(sqlContext, options.settings().inference().transform(input));
  }

  @Override
  public SQLContext sqlContext() {
    return sqlContext;
  }

  @Override
  public StructType schema() {
    return rows.schema();
  }

  @Override
  public RDD<Row> buildScan() {
    return rows.rdd();
  }

  /**
   * A table or view when {@code input} names one and no {@code input-format} was given, else the
   * path read with {@code input-format} (parquet by default). A {@code moe-tokens} corpus without
   * the id column gets its row index as ids.
   */
  private static Dataset<Row> input(SparkSession spark, MoeSourceOptions options) {
    String name = options.input();
    if (options.inputFormat() == null && TableInput.exists(spark, name)) {
      return spark.table(name);
    }
    requirePath(spark, name);
    String format = options.inputFormat() == null ? "parquet" : options.inputFormat();
    Dataset<Row> input = spark.read().format(format).options(options.inputOptions()).load(name);
    String id = options.settings().idColumn();
    if (format.equals(ArrowTokensSource.NAME)
        && !options.inputOptions().containsKey(ArrowTokensOptions.ROW_INDEX_COLUMN)
        && !Arrays.asList(input.columns()).contains(id)) {
      Map<String, String> withIndex = new HashMap<>(options.inputOptions());
      withIndex.put(ArrowTokensOptions.ROW_INDEX_COLUMN, id);
      input = spark.read().format(format).options(withIndex).load(name);
    }
    return input;
  }

  private static void requirePath(SparkSession spark, String name) {
    org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(name);
    try {
      FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(path)) {
        throw new IllegalArgumentException(
            String.format(
                "Cannot find input %s of %s: no table or view of that name, and no file or folder"
                    + " at that path",
                name, MoeSource.WHERE));
      }
    } catch (IOException e) {
      throw IoErrors.cannot("access " + name, e);
    }
  }
}
