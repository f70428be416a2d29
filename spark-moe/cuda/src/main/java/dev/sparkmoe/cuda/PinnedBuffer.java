package dev.sparkmoe.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import jcuda.Pointer;

/**
 * Page-locked host memory registered with a {@link DeviceMemory} owner: the only host memory
 * asynchronous copies may use. {@link #close()} frees it (once). Not thread-safe.
 */
public final class PinnedBuffer implements DeviceMemory.Allocation, AutoCloseable {
  private final DeviceMemory owner;
  private final String purpose;
  private final long sizeBytes;
  private final Pointer pointer;
  private FloatBuffer floats;

  PinnedBuffer(DeviceMemory owner, String purpose, long sizeBytes, Pointer pointer) {
    this.owner = owner;
    this.purpose = purpose;
    this.sizeBytes = sizeBytes;
    this.pointer = pointer;
  }

  /** The host address, for copies; valid until {@link #close()}. */
  public Pointer pointer() {
    return pointer;
  }

  /** The memory as native-order floats (at most 2^31 - 1 of them); valid until {@link #close()}. */
  public FloatBuffer floats() {
    if (floats == null) {
      ByteBuffer bytes = pointer.getByteBuffer(0, sizeBytes).order(ByteOrder.nativeOrder());
      floats = bytes.asFloatBuffer();
    }
    return floats;
  }

  @Override
  public String kind() {
    return "pinned";
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
    floats = null;
    owner.free(this);
  }
}
