package dev.sparkmoe.core.batch;

/** The two token batches of a layer's exchanges, with their names in the Arrow form. */
enum BatchKind {
  DISPATCH("dispatch", TokenBatchSchema.HIDDEN),
  COMBINE("combine", TokenBatchSchema.OUTPUT);

  private final String metadataName;
  private final String vectorColumn;

  BatchKind(String metadataName, String vectorColumn) {
    this.metadataName = metadataName;
    this.vectorColumn = vectorColumn;
  }

  /** The value of {@code spark.moe.kind}. */
  String metadataName() {
    return metadataName;
  }

  /** The name of the column holding one hidden-size vector per entry. */
  String vectorColumn() {
    return vectorColumn;
  }
}
