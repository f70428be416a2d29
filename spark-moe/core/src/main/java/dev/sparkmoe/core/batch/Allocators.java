package dev.sparkmoe.core.batch;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * Top-level Arrow allocators.
 *
 * <p>Arrow Java 12 names every {@link RootAllocator} {@code ROOT}, so the allocators made here are
 * named children of one process-wide root allocator, as Spark's own Arrow code does; each is the
 * top of its owner's allocator tree. Their names appear in leak reports and in out-of-memory
 * errors.
 */
public final class Allocators {
  private Allocators() {}

  /**
   * A new top-level allocator named {@code name}, limited only by the JVM's direct memory ({@code
   * -XX:MaxDirectMemorySize}). See {@link #root(String, long)}.
   */
  public static BufferAllocator root(String name) {
    return root(name, Long.MAX_VALUE);
  }

  /**
   * A new top-level allocator named {@code name} that refuses to hold more than {@code limitBytes}
   * at once, across its children.
   *
   * <p>The caller owns it and must close it after every buffer and child allocator taken from it.
   * {@link BufferAllocator#close()} throws {@link IllegalStateException} if memory is still
   * outstanding, naming the allocator and its open children, so a test that closes its allocator
   * fails on a leak. Allocators are thread-safe.
   *
   * @throws IllegalArgumentException if {@code name} is null or blank, or {@code limitBytes} is
   *     negative
   */
  public static BufferAllocator root(String name, long limitBytes) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException(
          String.format("Invalid allocator name: '%s' (expected: not blank)", name));
    }
    if (limitBytes < 0) {
      throw new IllegalArgumentException(
          String.format("Invalid allocator limit: %d bytes (expected: >= 0)", limitBytes));
    }
    return Root.INSTANCE.newChildAllocator(name, 0, limitBytes);
  }

  /** Holds the process-wide root, created on first use; it is never closed. */
  private static final class Root {
    static final RootAllocator INSTANCE = new RootAllocator(Long.MAX_VALUE);
  }
}
