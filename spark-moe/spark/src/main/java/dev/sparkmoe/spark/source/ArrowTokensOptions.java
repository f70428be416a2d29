package dev.sparkmoe.spark.source;

import java.net.URI;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.apache.spark.network.util.JavaUtils;
import org.apache.spark.sql.internal.SQLConf;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

/**
 * The options of the {@code moe-tokens} source, checked.
 *
 * @param path the file or folder
 * @param split the split of a {@code DatasetDict} folder, or null
 * @param columns the columns to read, in order, or null for all
 * @param rowIndexColumn the name of the row-index column to add, or null for none
 * @param maxPartitionBytes the most bytes of record batches in one partition (at least one batch)
 */
record ArrowTokensOptions(
    Path path, String split, List<String> columns, String rowIndexColumn, long maxPartitionBytes) {
  static final String SPLIT = "split";
  static final String COLUMNS = "columns";
  static final String ROW_INDEX_COLUMN = "row-index-column";
  static final String MAX_PARTITION_BYTES = "max-partition-bytes";
  private static final Set<String> KEYS =
      Set.of("path", SPLIT, COLUMNS, ROW_INDEX_COLUMN, MAX_PARTITION_BYTES);

  static ArrowTokensOptions parse(CaseInsensitiveStringMap options) {
    for (String key : options.keySet()) {
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException(
            String.format(
                "Invalid option of format %s: %s (expected: one of %s, %s, %s, %s)",
                ArrowTokensSource.NAME,
                key,
                SPLIT,
                COLUMNS,
                ROW_INDEX_COLUMN,
                MAX_PARTITION_BYTES));
      }
    }
    String path = options.get("path");
    if (path == null || path.isBlank()) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid options of format %s: the path is missing (expected: load(<file or folder>))",
              ArrowTokensSource.NAME));
    }
    return new ArrowTokensOptions(
        localPath(path),
        options.get(SPLIT),
        columns(options.get(COLUMNS)),
        options.get(ROW_INDEX_COLUMN),
        maxPartitionBytes(options.get(MAX_PARTITION_BYTES)));
  }

  private static Path localPath(String path) {
    if (!path.contains(":")) {
      return Path.of(path);
    }
    URI uri = URI.create(path);
    if (!"file".equals(uri.getScheme())) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid path of format %s: %s (expected: a local or mounted path, or file:/...;"
                  + " the files are memory-mapped)",
              ArrowTokensSource.NAME, path));
    }
    return Path.of(uri);
  }

  private static List<String> columns(String value) {
    if (value == null) {
      return null;
    }
    List<String> names = Arrays.stream(value.split(",")).map(String::trim).toList();
    if (names.stream().anyMatch(String::isEmpty)) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid %s: '%s' (expected: column names separated by commas)", COLUMNS, value));
    }
    return names;
  }

  private static long maxPartitionBytes(String value) {
    if (value == null) {
      return SQLConf.get().filesMaxPartitionBytes();
    }
    try {
      long bytes = JavaUtils.byteStringAsBytes(value);
      if (bytes > 0) {
        return bytes;
      }
    } catch (NumberFormatException e) {
      // falls through to the message below
    }
    throw new IllegalArgumentException(
        String.format(
            "Invalid %s: %s (expected: a positive size such as 64m or 1048576)",
            MAX_PARTITION_BYTES, value));
  }
}
