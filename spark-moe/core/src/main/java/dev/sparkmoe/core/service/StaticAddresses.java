package dev.sparkmoe.core.service;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Addresses held in memory and set by whoever starts the servers: tests, benchmarks, a single
 * process. Thread-safe: {@link #refreshed} waits for a {@link #put} of a new address.
 */
public final class StaticAddresses implements ServerAddresses {
  private final Map<Integer, InetSocketAddress> addresses = new HashMap<>();

  /** Publishes {@code slot}'s server at {@code address}, waking those waiting for a new one. */
  public synchronized StaticAddresses put(int slot, InetSocketAddress address) {
    addresses.put(slot, address);
    notifyAll();
    return this;
  }

  @Override
  public synchronized InetSocketAddress address(int slot) {
    InetSocketAddress address = addresses.get(slot);
    if (address == null) {
      throw new IllegalStateException(
          "Cannot find the expert server of slot " + slot + ": no address was published");
    }
    return address;
  }

  @Override
  public synchronized InetSocketAddress refreshed(
      int slot, InetSocketAddress failed, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (failed.equals(addresses.get(slot)) || addresses.get(slot) == null) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new IllegalStateException(
            String.format(
                "Cannot reconnect to the expert server of slot %d: no address other than %s"
                    + " within %s (raise %s)",
                slot, failed, timeout, ServiceOptions.CONNECT_TIMEOUT_KEY));
      }
      try {
        wait(Math.max(1, left / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(
            "Cannot reconnect to the expert server of slot " + slot + ": interrupted", e);
      }
    }
    return addresses.get(slot);
  }
}
