/**
 * spark-moe under the Spark RAPIDS Accelerator: the columnar GPU paths (cudf list operations) of
 * {@code moe_truncate} and {@code moe_windows}, as {@code RapidsUDF}s that extend their CPU
 * functions, registered through {@code META-INF/services/dev.sparkmoe.spark.sql.TokenUdfs} and
 * chosen only where RAPIDS is on the class path. {@code moe_num_tokens} needs nothing here: it is
 * Spark's {@code size}, which RAPIDS runs on the GPU itself.
 *
 * <p>Columns passed to {@code evaluateColumnar} belong to RAPIDS; each method closes what it makes
 * and returns a new column that the caller owns.
 */
package dev.sparkmoe.rapids;
