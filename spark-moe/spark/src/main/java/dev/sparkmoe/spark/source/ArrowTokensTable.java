package dev.sparkmoe.spark.source;

import java.util.Set;
import org.apache.spark.sql.connector.catalog.SupportsRead;
import org.apache.spark.sql.connector.catalog.TableCapability;
import org.apache.spark.sql.connector.read.ScanBuilder;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

/** A {@code moe-tokens} corpus as a readable table. */
final class ArrowTokensTable implements SupportsRead {
  private final StructType schema;
  private final CaseInsensitiveStringMap options;

  ArrowTokensTable(StructType schema, CaseInsensitiveStringMap options) {
    this.schema = schema;
    this.options = options;
  }

  @Override
  public String name() {
    return ArrowTokensSource.NAME + " " + options.get("path");
  }

  @Override
  @SuppressWarnings("deprecation") // deprecated in 3.5 in favour of columns(), but still abstract
  public StructType schema() {
    return schema;
  }

  @Override
  public Set<TableCapability> capabilities() {
    return Set.of(TableCapability.BATCH_READ);
  }

  @Override
  public ScanBuilder newScanBuilder(CaseInsensitiveStringMap scanOptions) {
    return new ArrowTokensScanBuilder(schema, ArrowTokensOptions.parse(scanOptions));
  }
}
