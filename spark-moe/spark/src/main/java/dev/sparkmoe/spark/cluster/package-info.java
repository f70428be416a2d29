/**
 * The cluster as the expert-parallel stages see it: executors with their GPUs ({@link
 * dev.sparkmoe.spark.cluster.ExecutorSlot}, learned by {@link
 * dev.sparkmoe.spark.cluster.ClusterProbe}), and the pinning of partitions to them ({@link
 * dev.sparkmoe.spark.cluster.Pinning}).
 *
 * <p>Pinning is a preference, not a guarantee: Spark runs a task on its preferred executor when
 * that executor offers a free slot within {@code spark.locality.wait} (3 s by default; per level:
 * {@code spark.locality.wait.process}), and elsewhere after that. A job that must keep its experts
 * resident sets the wait above the longest task it expects. Executors that are lost are not
 * replaced by the same id, so slots must be probed again after a loss.
 *
 * <p>Local mode has one executor, {@code driver}, and no GPUs: the same code runs there with CPU
 * slots.
 */
package dev.sparkmoe.spark.cluster;
