package dev.sparkmoe.spark.pipeline;

import java.io.Serializable;

/**
 * A service-mode owner partition's time in one layer, summed over its micro-batches: computing
 * (routing and combining) and waiting on the expert servers.
 */
record OwnerTiming(int layer, int partition, long computeNanos, long waitNanos)
    implements Serializable {
  private static final long serialVersionUID = 1L;
}
