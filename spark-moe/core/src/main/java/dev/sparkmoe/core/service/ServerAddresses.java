package dev.sparkmoe.core.service;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Where each expert slot's server listens. The Spark half implements it with a driver registry that
 * the barrier tasks report to; {@link StaticAddresses} serves tests.
 *
 * <p>Implementations are thread-safe.
 */
public interface ServerAddresses {
  /**
   * The address of {@code slot}'s server.
   *
   * @throws IllegalStateException if no server of that slot is known
   */
  InetSocketAddress address(int slot);

  /**
   * Blocks until {@code slot}'s server is known at an address other than {@code failed} (its server
   * restarted), and returns it.
   *
   * @throws IllegalStateException naming the slot and the failed address if none is known within
   *     {@code timeout}, or if interrupted
   */
  InetSocketAddress refreshed(int slot, InetSocketAddress failed, Duration timeout);
}
