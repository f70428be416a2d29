/**
 * Benchmarks that need a real multi-process Spark cluster on one machine: {@code bench placements}
 * runs each placement in its own child JVM ({@link
 * dev.sparkmoe.benchmarks.placements.PlacementRun}) with a fresh {@code local-cluster} of executor
 * JVMs, and sets the cost model's predictions beside the measurements.
 */
package dev.sparkmoe.benchmarks.placements;
