package dev.sparkmoe.spark.source;

import java.util.Map;
import org.apache.spark.sql.connector.catalog.Table;
import org.apache.spark.sql.connector.catalog.TableProvider;
import org.apache.spark.sql.connector.expressions.Transform;
import org.apache.spark.sql.sources.DataSourceRegister;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

/**
 * {@code spark.read.format("moe-tokens").load(path)}: a tokenized corpus stored as Arrow IPC files
 * — a Hugging Face {@code datasets} folder written by {@code save_to_disk} (stream-format {@code
 * data-*.arrow} shards, in the order {@code state.json} lists them), a folder of {@code *.arrow},
 * {@code *.arrows}, {@code *.ipc} or {@code *.feather} files, or one such file, in the stream or
 * the file format.
 *
 * <p>Record batches are memory-mapped and handed to Spark as {@link
 * org.apache.spark.sql.vectorized.ArrowColumnVector}s over the mapped bytes: no copy, no
 * conversion. A partition holds whole record batches of one file, up to {@code
 * max-partition-bytes}. Paths must be local or mounted on every executor, and the files must not
 * change while they are read.
 *
 * <p>Options ({@link ArrowTokensOptions}): {@code split} (the split of a {@code DatasetDict}
 * folder), {@code columns} (comma-separated, default all), {@code row-index-column} (adds a bigint
 * column with each row's position in the corpus: files in order, then batches, then rows), {@code
 * max-partition-bytes} (default {@code spark.sql.files.maxPartitionBytes}).
 */
public final class ArrowTokensSource implements TableProvider, DataSourceRegister {
  /** The format name. */
  public static final String NAME = "moe-tokens";

  @Override
  public String shortName() {
    return NAME;
  }

  @Override
  public StructType inferSchema(CaseInsensitiveStringMap options) {
    ArrowTokensOptions parsed = ArrowTokensOptions.parse(options);
    return TokenCorpus.open(parsed).sparkSchema();
  }

  @Override
  public Table getTable(
      StructType schema, Transform[] partitioning, Map<String, String> properties) {
    return new ArrowTokensTable(schema, new CaseInsensitiveStringMap(properties));
  }
}
