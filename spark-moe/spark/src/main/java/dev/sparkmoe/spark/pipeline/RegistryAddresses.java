package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.service.ServerAddresses;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An owner task's view of the expert servers: each slot's address asked once from the driver's
 * registry, and asked again after a server was lost. Thread-safe.
 */
final class RegistryAddresses implements ServerAddresses {
  private final RegistryEndpoint registry;
  private final Duration firstTimeout;
  private final ConcurrentHashMap<Integer, InetSocketAddress> known = new ConcurrentHashMap<>();

  /**
   * @param firstTimeout how long to wait for a slot's first address
   */
  RegistryAddresses(RegistryEndpoint registry, Duration firstTimeout) {
    this.registry = registry;
    this.firstTimeout = firstTimeout;
  }

  @Override
  public InetSocketAddress address(int slot) {
    return known.computeIfAbsent(slot, s -> registry.ask(s, null, firstTimeout));
  }

  @Override
  public InetSocketAddress refreshed(int slot, InetSocketAddress failed, Duration timeout) {
    InetSocketAddress fresh = registry.ask(slot, failed, timeout);
    known.put(slot, fresh);
    return fresh;
  }
}
