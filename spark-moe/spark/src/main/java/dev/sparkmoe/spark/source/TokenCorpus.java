package dev.sparkmoe.spark.source;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.spark.sql.types.StructType;

/**
 * The files of a {@code moe-tokens} read, in order, and their schema.
 *
 * @param options the read's options
 * @param files the Arrow IPC files, in corpus order
 */
record TokenCorpus(ArrowTokensOptions options, List<Path> files) {
  static TokenCorpus open(ArrowTokensOptions options) {
    return new TokenCorpus(options, TokenFiles.list(options.path(), options.split()));
  }

  /** The Spark schema, from the first file's schema (reads only its first message). */
  StructType sparkSchema() {
    Path first = files.get(0);
    return SparkSchemas.of(IpcFile.readSchema(first), options, first);
  }

  /** Every file indexed; all must have the first file's columns. */
  List<IpcFile> index() {
    List<IpcFile> indexed = new ArrayList<>(files.size());
    for (Path file : files) {
      IpcFile next = IpcFile.index(file);
      if (!indexed.isEmpty()) {
        requireSameColumns(indexed.get(0), next);
      }
      indexed.add(next);
    }
    return indexed;
  }

  private static void requireSameColumns(IpcFile first, IpcFile other) {
    Schema expected = first.schema();
    if (!other.schema().getFields().equals(expected.getFields())) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot read %s: its columns (%s) differ from those of %s (expected: %s)",
              other.path(), other.schema().getFields(), first.path(), expected.getFields()));
    }
  }
}
