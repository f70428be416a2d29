package dev.sparkmoe.cuda;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A named owner of device memory and pinned host memory on one GPU, in the manner of Arrow's
 * allocators: every allocation is registered under a purpose, freed by closing its buffer, and
 * {@link #close()} refuses (throws) while any is outstanding, listing them, so a leak fails loudly
 * instead of holding GPU memory for the executor's lifetime.
 *
 * <p>Thread-safe. Allocating and freeing need the owner's context current on the calling thread.
 */
public final class DeviceMemory implements AutoCloseable {
  private final String name;
  private final NativeMemory memory;
  private final Set<Allocation> outstanding = new LinkedHashSet<>();
  private long allocatedBytes;
  private boolean closed;

  DeviceMemory(String name, NativeMemory memory) {
    this.name = name;
    this.memory = memory;
  }

  /** An owner named {@code name} (for messages) allocating through the CUDA driver. */
  public static DeviceMemory open(String name) {
    return new DeviceMemory(name, NativeMemory.DRIVER);
  }

  public String name() {
    return name;
  }

  /**
   * Allocates {@code bytes} of device memory for {@code purpose} (named in leak reports).
   *
   * @throws IllegalArgumentException if {@code bytes < 1}
   * @throws IllegalStateException if this owner is closed
   * @throws CudaException if the driver cannot allocate
   */
  public DeviceBuffer allocate(String purpose, long bytes) {
    checkAllocation(purpose, bytes);
    DeviceBuffer buffer = new DeviceBuffer(this, purpose, bytes, memory.allocateDevice(bytes));
    register(buffer);
    return buffer;
  }

  /**
   * Allocates {@code bytes} of page-locked host memory, as {@link #allocate} does on the device.
   */
  public PinnedBuffer allocatePinned(String purpose, long bytes) {
    checkAllocation(purpose, bytes);
    PinnedBuffer buffer = new PinnedBuffer(this, purpose, bytes, memory.allocatePinned(bytes));
    register(buffer);
    return buffer;
  }

  /** Bytes allocated and not yet freed, device and pinned together. */
  public synchronized long allocatedBytes() {
    return allocatedBytes;
  }

  /** Allocations not yet freed. */
  public synchronized int allocationCount() {
    return outstanding.size();
  }

  /**
   * Closes this owner.
   *
   * @throws IllegalStateException if allocations are outstanding; they stay valid, and closing them
   *     then this owner again succeeds
   */
  @Override
  public synchronized void close() {
    if (!outstanding.isEmpty()) {
      throw new IllegalStateException(
          String.format(
              "Cannot close device memory %s: %d allocations (%d bytes) outstanding: %s",
              name, outstanding.size(), allocatedBytes, describe(outstanding)));
    }
    closed = true;
  }

  synchronized void free(Allocation allocation) {
    if (outstanding.remove(allocation)) {
      allocatedBytes -= allocation.sizeBytes();
      if (allocation instanceof DeviceBuffer device) {
        memory.freeDevice(device.pointer());
      } else {
        memory.freePinned(((PinnedBuffer) allocation).pointer());
      }
    }
  }

  private synchronized void checkAllocation(String purpose, long bytes) {
    if (bytes < 1) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid allocation size for %s: %d bytes (expected: >= 1)", purpose, bytes));
    }
    if (closed) {
      throw new IllegalStateException(
          String.format("Cannot allocate %s: device memory %s is closed", purpose, name));
    }
  }

  private synchronized void register(Allocation allocation) {
    outstanding.add(allocation);
    allocatedBytes += allocation.sizeBytes();
  }

  private static String describe(Set<Allocation> allocations) {
    List<String> parts = new ArrayList<>();
    for (Allocation a : allocations) {
      parts.add(String.format("%s %s (%d bytes)", a.kind(), a.purpose(), a.sizeBytes()));
    }
    return parts.stream().limit(10).collect(Collectors.joining(", "))
        + (parts.size() > 10 ? ", …" : "");
  }

  /** One registered allocation. */
  sealed interface Allocation permits DeviceBuffer, PinnedBuffer {
    String kind();

    String purpose();

    long sizeBytes();
  }
}
