/**
 * spark-moe's DataSources: {@code moe} ({@link dev.sparkmoe.spark.source.MoeSource}: inference
 * results as a DataFrame) and {@code moe-tokens} ({@link
 * dev.sparkmoe.spark.source.ArrowTokensSource}: tokenized corpora in Arrow IPC files, Hugging Face
 * {@code datasets} folders included, read zero-copy into Arrow-backed columnar batches). Both are
 * registered through {@code META-INF/services/org.apache.spark.sql.sources.DataSourceRegister}.
 */
package dev.sparkmoe.spark.source;
