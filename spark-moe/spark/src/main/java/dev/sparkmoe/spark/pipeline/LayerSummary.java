package dev.sparkmoe.spark.pipeline;

import java.util.List;

/**
 * One layer of a run, from its tasks' statistics.
 *
 * @param layer the layer
 * @param wallNanos driver-side time from the layer's start to its combine
 * @param tokensPerExpert tokens each expert received
 * @param expertTasks the layer's expert tasks, by slot
 * @param pairs token-expert pairs routed (tokens × top-k)
 * @param bytesDispatched Arrow bytes from owners to slots
 * @param bytesCombined Arrow bytes from slots back to owners
 * @param ownerComputeNanos summed owner-task time on attention and routing
 * @param expertComputeNanos summed expert-task time on expert FFNs
 * @param expertWaitNanos summed expert-task time blocked waiting for decoded input
 * @param expertLoadNanos summed expert-task time blocked waiting for experts to be fetched, decoded
 *     and made resident (a prefetch still running included)
 */
@SuppressWarnings("ArrayRecordComponent") // report values, built once
record LayerSummary(
    int layer,
    long wallNanos,
    long[] tokensPerExpert,
    List<TaskStat.Expert> expertTasks,
    long pairs,
    long bytesDispatched,
    long bytesCombined,
    long ownerComputeNanos,
    long expertComputeNanos,
    long expertWaitNanos,
    long expertLoadNanos) {

  /** Mean over max tokens per slot: 1 is a perfect balance. */
  double balance() {
    long max = 0;
    long sum = 0;
    for (TaskStat.Expert task : expertTasks) {
      max = Math.max(max, task.stats().tokens());
      sum += task.stats().tokens();
    }
    return max == 0 ? 1.0 : (double) sum / expertTasks.size() / max;
  }

  static LayerSummary of(int layer, long wallNanos, List<TaskStat> stats) {
    long[] perExpert = new long[0];
    List<TaskStat.Expert> experts = TaskStats.experts(stats, layer);
    long pairs = 0;
    long combined = 0;
    long compute = 0;
    long wait = 0;
    long load = 0;
    for (TaskStat.Expert task : experts) {
      pairs += task.stats().tokens();
      combined += task.stats().bytesOut();
      compute += task.stats().computeNanos();
      wait += task.stats().waitNanos();
      load += task.stats().loadNanos();
      perExpert = add(perExpert, task.stats().tokensPerExpert());
    }
    long dispatched = 0;
    long ownerCompute = 0;
    for (TaskStat.Owner task : TaskStats.owners(stats, layer)) {
      dispatched += task.stats().bytesOut();
      ownerCompute += task.stats().computeNanos();
    }
    return new LayerSummary(
        layer,
        wallNanos,
        perExpert,
        experts,
        pairs,
        dispatched,
        combined,
        ownerCompute,
        compute,
        wait,
        load);
  }

  private static long[] add(long[] sum, long[] values) {
    long[] out = java.util.Arrays.copyOf(sum, Math.max(sum.length, values.length));
    for (int i = 0; i < values.length; i++) {
      out[i] += values[i];
    }
    return out;
  }
}
