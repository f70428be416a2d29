package dev.sparkmoe.spark.source;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.sql.connector.read.Scan;
import org.apache.spark.sql.connector.read.ScanBuilder;
import org.apache.spark.sql.connector.read.SupportsPushDownRequiredColumns;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** Keeps the top-level columns a query needs; the others are never exposed to Spark. */
final class ArrowTokensScanBuilder implements ScanBuilder, SupportsPushDownRequiredColumns {
  private final ArrowTokensOptions options;
  private StructType readSchema;

  ArrowTokensScanBuilder(StructType schema, ArrowTokensOptions options) {
    this.readSchema = schema;
    this.options = options;
  }

  @Override
  public void pruneColumns(StructType requiredSchema) {
    Set<String> required =
        Arrays.stream(requiredSchema.fieldNames()).collect(Collectors.toUnmodifiableSet());
    readSchema =
        new StructType(
            Arrays.stream(readSchema.fields())
                .filter(field -> required.contains(field.name()))
                .toArray(StructField[]::new));
  }

  @Override
  public Scan build() {
    return new ArrowTokensScan(readSchema, options);
  }
}
