package dev.sparkmoe.core.service;

import dev.sparkmoe.core.Checks;

/**
 * How an {@link ExpertServer} listens and gathers.
 *
 * @param host the address to bind (an ephemeral port on it), for example the executor's host
 * @param queueCapacity decoded requests held before connection readers block, {@code >= 1}
 * @param gatherTokens token entries gathered into one computation at most, {@code >= 1}
 * @param gatherMicros how long the compute thread waits for more requests once it has one, while
 *     more than one owner is connected
 */
public record ServerOptions(String host, int queueCapacity, int gatherTokens, long gatherMicros) {
  public ServerOptions {
    Checks.notBlank("server host", host);
    Checks.atLeast("queue capacity", queueCapacity, 1);
    Checks.atLeast("gather tokens", gatherTokens, 1);
    Checks.atLeast("gather micros", gatherMicros, 0);
  }

  /** Loopback, and {@link ServiceOptions#defaults()}'s queue and gather window. */
  public static ServerOptions loopback() {
    return ServiceOptions.defaults().server("127.0.0.1");
  }
}
