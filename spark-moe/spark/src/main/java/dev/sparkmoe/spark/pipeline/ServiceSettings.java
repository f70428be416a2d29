package dev.sparkmoe.spark.pipeline;

import java.io.Serializable;

/**
 * The service mode's knobs, as the registry resolved them; shipped to the tasks in the {@link
 * PipelineManifest}.
 *
 * @param microBatches micro-batches per owner partition, in flight together
 * @param gatherTokens a server's gather window closes at this many tokens
 * @param gatherMicros a server's gather window closes after this many microseconds
 * @param requestTimeoutMs how long an owner waits for an answer or a relaunched server's address
 */
record ServiceSettings(int microBatches, int gatherTokens, int gatherMicros, long requestTimeoutMs)
    implements Serializable {
  private static final long serialVersionUID = 1L;
}
