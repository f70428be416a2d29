/**
 * spark-moe in Spark SQL: the scalar model functions {@code moe_embed}, {@code moe_score} and
 * {@code moe_next_token} ({@link dev.sparkmoe.spark.sql.ModelCall}, batched by {@link
 * dev.sparkmoe.spark.sql.ExtractModelCalls} into {@link dev.sparkmoe.spark.sql.BatchModelCalls}),
 * the table-valued function {@code moe_infer} and the helpers {@code moe_num_tokens}, {@code
 * moe_model_info}, {@code moe_tokenize}, {@code moe_detokenize}, {@code moe_truncate} and {@code
 * moe_windows} (the last two with GPU paths in spark-moe-rapids, see {@link
 * dev.sparkmoe.spark.sql.TokenUdfs}).
 *
 * <p>They reach a session three ways: {@link dev.sparkmoe.spark.sql.MoeSparkExtensions} through
 * {@code spark.sql.extensions}; the same class through {@code
 * META-INF/services/org.apache.spark.sql.SparkSessionExtensionsProvider}, so any session built with
 * the jar on its classpath has them; and {@link dev.sparkmoe.spark.sql.MoeFunctions#register} for a
 * session that existed before the jar was attached.
 *
 * <p>{@code moe_infer} runs the expert-parallel pipeline when its query is analyzed, not when rows
 * are fetched: {@code spark.sql("SELECT * FROM moe_infer(...)")} returns after the whole run, and
 * every later analysis of the same text (a view over it, a second {@code spark.sql}) runs it again.
 * {@code CACHE TABLE t AS SELECT * FROM moe_infer(...)} keeps one run's rows.
 */
package dev.sparkmoe.spark.sql;
