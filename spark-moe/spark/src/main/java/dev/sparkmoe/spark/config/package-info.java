/** Reading {@link dev.sparkmoe.core.config.MoeOptions} in a Spark session. */
package dev.sparkmoe.spark.config;
