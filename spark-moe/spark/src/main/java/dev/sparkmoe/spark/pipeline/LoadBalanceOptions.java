package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.balance.HotExpertReplicas;
import java.util.OptionalDouble;

/**
 * The load-balancing settings of a run.
 *
 * @param sampleRows input rows whose routing the driver measures before the job (0: none)
 * @param replicas extra replicas of hot experts per layer
 * @param capacityFactor expert capacity factor; empty for dropless
 * @param dataParallel copies of the whole expert set (1: none)
 * @param expertTp tensor-parallel shards per expert; 0 to let {@code slotMemoryBytes} decide
 * @param slotMemoryBytes a slot's memory for expert weights; 0 for no limit
 */
record LoadBalanceOptions(
    int sampleRows,
    HotExpertReplicas.Setting replicas,
    OptionalDouble capacityFactor,
    int dataParallel,
    int expertTp,
    long slotMemoryBytes) {
  /** Rows sampled when replicas or {@code --placement auto} need the load and none were set. */
  static final int DEFAULT_SAMPLE_ROWS = 32;

  LoadBalanceOptions {
    if (expertTp > 1 && (dataParallel > 1 || !replicas.isNone())) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot combine expert-tp %d with data-parallel %d or replicas %s: choose one",
              expertTp, dataParallel, replicas.cliName()));
    }
    if (dataParallel > 1 && !replicas.isNone()) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot combine data-parallel %d with replicas %s: choose one (data-parallel copies"
                  + " every expert, replicas copy the hot ones)",
              dataParallel, replicas.cliName()));
    }
  }
}
