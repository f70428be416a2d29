package dev.sparkmoe.cuda;

import jcuda.driver.CUdeviceptr;

/**
 * Device memory registered with a {@link DeviceMemory} owner; {@link #close()} frees it (once:
 * later calls do nothing). Not thread-safe.
 */
public final class DeviceBuffer implements DeviceMemory.Allocation, AutoCloseable {
  private final DeviceMemory owner;
  private final String purpose;
  private final long sizeBytes;
  private final CUdeviceptr pointer;

  DeviceBuffer(DeviceMemory owner, String purpose, long sizeBytes, CUdeviceptr pointer) {
    this.owner = owner;
    this.purpose = purpose;
    this.sizeBytes = sizeBytes;
    this.pointer = pointer;
  }

  /** The device address; valid until {@link #close()}. */
  public CUdeviceptr pointer() {
    return pointer;
  }

  /** The address {@code offsetBytes} into this buffer. */
  public CUdeviceptr at(long offsetBytes) {
    if (offsetBytes < 0 || offsetBytes > sizeBytes) {
      throw new IndexOutOfBoundsException(
          String.format(
              "Invalid offset into %s: %d (expected: 0 <= offset <= %d)",
              purpose, offsetBytes, sizeBytes));
    }
    return pointer.withByteOffset(offsetBytes);
  }

  @Override
  public String kind() {
    return "device";
  }

  @Override
  public String purpose() {
    return purpose;
  }

  @Override
  public long sizeBytes() {
    return sizeBytes;
  }

  @Override
  public void close() {
    owner.free(this);
  }
}
