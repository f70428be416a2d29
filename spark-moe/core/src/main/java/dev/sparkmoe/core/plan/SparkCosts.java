package dev.sparkmoe.core.plan;

import dev.sparkmoe.core.Checks;

/**
 * What running on Spark costs beyond the math, measured on the cluster: the cores that all
 * executors share, the fixed cost of a task and of a stage, and the CPU time one byte costs to
 * cross an exchange (Arrow encode, shuffle write, fetch, decode).
 *
 * @param cores physical cores the executors share (a 2-core machine runs at most 2 tasks at once,
 *     however many executors it has)
 * @param taskSeconds scheduling, launch and result cost of one task
 * @param stageSeconds fixed cost of one stage (the barrier, the scheduler's round trips)
 * @param exchangeSecondsPerByte CPU seconds per byte moved from one stage to the next, sender and
 *     receiver together
 */
public record SparkCosts(
    int cores, double taskSeconds, double stageSeconds, double exchangeSecondsPerByte) {
  public SparkCosts {
    Checks.atLeast("cores", cores, 1);
    Checks.nonNegative("task seconds", taskSeconds);
    Checks.nonNegative("stage seconds", stageSeconds);
    Checks.nonNegative("exchange seconds per byte", exchangeSecondsPerByte);
  }
}
