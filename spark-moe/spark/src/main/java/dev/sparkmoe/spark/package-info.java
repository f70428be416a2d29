/**
 * The Spark side of spark-moe: jobs, CLI, integration. Delegates the math to {@code
 * dev.sparkmoe.core}.
 */
package dev.sparkmoe.spark;
