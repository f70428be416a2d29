package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.service.ServiceOptions;
import java.io.Serializable;
import java.time.Duration;

/**
 * The service mode's knobs as the registry resolved them ({@code spark.moe.service.*}), shipped to
 * the tasks in the {@link PipelineManifest}; {@link #options()} is the core's form.
 */
record ServiceSettings(
    int microBatches,
    int gatherTokens,
    int gatherMicros,
    int maxInFlight,
    int queueCapacity,
    long requestTimeoutMs,
    long connectTimeoutMs,
    int maxReconnects)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  ServiceOptions options() {
    return new ServiceOptions(
        microBatches,
        gatherTokens,
        gatherMicros,
        maxInFlight,
        queueCapacity,
        Duration.ofMillis(requestTimeoutMs),
        Duration.ofMillis(connectTimeoutMs),
        maxReconnects);
  }
}
