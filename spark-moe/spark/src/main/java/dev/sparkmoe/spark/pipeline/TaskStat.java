package dev.sparkmoe.spark.pipeline;

import java.io.Serializable;

/**
 * What one pipeline task reports to the driver through an accumulator.
 *
 * @param stage {@code owner} or {@code expert}
 * @param layer the layer the task worked on (for an owner task, the layer it routed)
 * @param index owner partition or slot
 * @param executorId where it ran
 * @param gpuAddress the GPU the task was given, or null
 * @param tokens tokens routed (owner) or received (expert, one per token-expert pair)
 * @param bytesIn Arrow bytes received
 * @param bytesOut Arrow bytes sent
 * @param computeNanos time computing (attention and routing, or expert FFNs)
 * @param waitNanos expert tasks: time blocked waiting for the next decoded batch
 * @param tokensPerExpert expert tasks: tokens per layer-local expert id; empty for owner tasks
 * @param expertLoads experts the executor had loaded when the task ended
 * @param backend expert tasks: the backend's description; empty for owner tasks
 * @param skippedRows first owner tasks: rows left out under {@link InvalidTokenPolicy#SKIP}
 */
@SuppressWarnings("ArrayRecordComponent") // a small report value, built once and not shared
record TaskStat(
    String stage,
    int layer,
    int index,
    String executorId,
    String gpuAddress,
    long tokens,
    long bytesIn,
    long bytesOut,
    long computeNanos,
    long waitNanos,
    long[] tokensPerExpert,
    int expertLoads,
    String backend,
    long skippedRows)
    implements Serializable {
  static final String OWNER = "owner";
  static final String EXPERT = "expert";
}
