package dev.sparkmoe.spark.infer;

import dev.sparkmoe.core.text.TextTokenizer;
import dev.sparkmoe.core.text.TokenizerCache;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Optional;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A text column turned into a tokens column, row by row on the executors, each executor loading the
 * tokenizer once ({@link TokenizerCache}). A null text gets null tokens (null outputs downstream).
 */
public final class TextInput {
  private TextInput() {}

  /**
   * The tokenizer a run with {@code textColumn} uses, checked on the driver so that a missing or
   * broken file fails before any job.
   *
   * @param located {@link TextTokenizer#locate}'s answer for the run
   * @throws IllegalArgumentException naming the file, or the model folder and the option when there
   *     is no tokenizer at all
   */
  public static Path tokenizer(String modelPath, Optional<Path> located, String textColumn) {
    Path file =
        located.orElseThrow(
            () ->
                new IllegalArgumentException(
                    String.format(
                        "Cannot tokenize text column %s: the model folder %s has no %s (set"
                            + " --tokenizer to a folder that holds one)",
                        textColumn, modelPath, TextTokenizer.FILE_NAME)));
    TokenizerCache.get(file);
    return file;
  }

  /**
   * {@code input}'s id column and its text column tokenized into {@code tokensColumn}
   * (array&lt;int&gt;).
   *
   * @param tokenizer the {@code tokenizer.json}, readable from every executor
   */
  public static Dataset<Row> tokenize(
      Dataset<Row> input, String idColumn, String textColumn, String tokensColumn, Path tokenizer) {
    StructField id = InputColumns.id(input.schema(), idColumn);
    InputColumns.text(input.schema(), textColumn);
    String file = tokenizer.toString();
    JavaRDD<Row> rows =
        input
            .select(idColumn, textColumn)
            .javaRDD()
            .mapPartitions(partition -> encode(partition, file));
    StructType schema =
        new StructType()
            .add(id)
            .add(tokensColumn, DataTypes.createArrayType(DataTypes.IntegerType, false), true);
    return input.sparkSession().createDataFrame(rows, schema);
  }

  /** Encodes lazily: a partition's rows are never all held at once. */
  private static Iterator<Row> encode(Iterator<Row> partition, String file) {
    TextTokenizer tokenizer = TokenizerCache.get(file);
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return partition.hasNext();
      }

      @Override
      public Row next() {
        Row row = partition.next();
        int[] tokens = row.isNullAt(1) ? null : tokenizer.encode(row.getString(1));
        return RowFactory.create(row.get(0), tokens);
      }
    };
  }
}
