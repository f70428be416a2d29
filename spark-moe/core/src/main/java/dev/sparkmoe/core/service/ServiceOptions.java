package dev.sparkmoe.core.service;

import dev.sparkmoe.core.Checks;
import java.time.Duration;

/**
 * How token owners talk to the expert servers, and how the servers gather what they receive.
 *
 * @param microBatches groups of whole rows each owner keeps in flight, {@code >= 1} (2 by default:
 *     attention and routing of one overlap the experts of the other)
 * @param gatherTokens a server gathers queued requests of the same layer into one computation until
 *     it holds this many token entries, {@code >= 1}
 * @param gatherMicros and waits at most this long for more requests once it has one (while other
 *     owners are connected), {@code >= 0}
 * @param maxInFlight requests one owner has sent and not yet seen answered, over all its slots and
 *     micro-batches, {@code >= 1}
 * @param queueCapacity decoded requests a server holds before its connection readers block (the
 *     back-pressure), {@code >= 1}
 * @param requestTimeout how long an owner waits for one answer before it fails the task
 * @param connectTimeout how long an owner waits to connect, and for a new address after a server
 *     was lost
 * @param maxReconnects reconnects per request before the owner gives up, {@code >= 0}
 */
public record ServiceOptions(
    int microBatches,
    int gatherTokens,
    long gatherMicros,
    int maxInFlight,
    int queueCapacity,
    Duration requestTimeout,
    Duration connectTimeout,
    int maxReconnects) {
  /** Session conf keys the Spark half declares; errors name them as the fix. */
  public static final String MICRO_BATCHES_KEY = "spark.moe.service.micro-batches";

  public static final String GATHER_TOKENS_KEY = "spark.moe.service.gather-tokens";
  public static final String GATHER_MICROS_KEY = "spark.moe.service.gather-micros";
  public static final String MAX_IN_FLIGHT_KEY = "spark.moe.service.max-in-flight";
  public static final String QUEUE_CAPACITY_KEY = "spark.moe.service.queue-capacity";
  public static final String REQUEST_TIMEOUT_KEY = "spark.moe.service.request-timeout-ms";
  public static final String CONNECT_TIMEOUT_KEY = "spark.moe.service.connect-timeout-ms";
  public static final String MAX_RECONNECTS_KEY = "spark.moe.service.max-reconnects";

  public ServiceOptions {
    Checks.atLeast("micro-batches", microBatches, 1);
    Checks.atLeast("gather tokens", gatherTokens, 1);
    Checks.atLeast("gather micros", gatherMicros, 0);
    Checks.atLeast("max in-flight", maxInFlight, 1);
    Checks.atLeast("queue capacity", queueCapacity, 1);
    Checks.checkArgument(
        requestTimeout != null && !requestTimeout.isNegative() && !requestTimeout.isZero(),
        "Invalid request timeout: %s (expected: > 0)",
        requestTimeout);
    Checks.checkArgument(
        connectTimeout != null && !connectTimeout.isNegative() && !connectTimeout.isZero(),
        "Invalid connect timeout: %s (expected: > 0)",
        connectTimeout);
    Checks.atLeast("max reconnects", maxReconnects, 0);
  }

  /**
   * 2 micro-batches, gather up to 4096 tokens or 200 µs, 64 in flight, a queue of 64, 60 s request
   * timeout, 30 s connect timeout, 3 reconnects.
   */
  public static ServiceOptions defaults() {
    return new ServiceOptions(
        2, 4096, 200, 64, 64, Duration.ofSeconds(60), Duration.ofSeconds(30), 3);
  }

  public ServiceOptions withMicroBatches(int value) {
    return new ServiceOptions(
        value,
        gatherTokens,
        gatherMicros,
        maxInFlight,
        queueCapacity,
        requestTimeout,
        connectTimeout,
        maxReconnects);
  }

  public ServiceOptions withGather(int tokens, long micros) {
    return new ServiceOptions(
        microBatches,
        tokens,
        micros,
        maxInFlight,
        queueCapacity,
        requestTimeout,
        connectTimeout,
        maxReconnects);
  }

  public ServiceOptions withMaxInFlight(int value) {
    return new ServiceOptions(
        microBatches,
        gatherTokens,
        gatherMicros,
        value,
        queueCapacity,
        requestTimeout,
        connectTimeout,
        maxReconnects);
  }

  public ServiceOptions withQueueCapacity(int value) {
    return new ServiceOptions(
        microBatches,
        gatherTokens,
        gatherMicros,
        maxInFlight,
        value,
        requestTimeout,
        connectTimeout,
        maxReconnects);
  }

  public ServiceOptions withTimeouts(Duration request, Duration connect) {
    return new ServiceOptions(
        microBatches,
        gatherTokens,
        gatherMicros,
        maxInFlight,
        queueCapacity,
        request,
        connect,
        maxReconnects);
  }

  public ServiceOptions withMaxReconnects(int value) {
    return new ServiceOptions(
        microBatches,
        gatherTokens,
        gatherMicros,
        maxInFlight,
        queueCapacity,
        requestTimeout,
        connectTimeout,
        value);
  }

  /** The server half of these options, binding {@code host}. */
  public ServerOptions server(String host) {
    return new ServerOptions(host, queueCapacity, gatherTokens, gatherMicros);
  }
}
