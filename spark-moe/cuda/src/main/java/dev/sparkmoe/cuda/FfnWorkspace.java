package dev.sparkmoe.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * The device and pinned buffers one expert FFN chunk of up to {@code capacity} tokens needs. Two
 * slots of f32 input and output, on the device and pinned on the host, with their events, so that
 * chunk i+1 uploads while chunk i computes and chunk i-1 downloads; one set of intermediates, used
 * only by the compute stream, which runs chunks in order. Not thread-safe.
 */
final class FfnWorkspace implements AutoCloseable {
  /** A quiet NaN's bits: poisoned outputs that a kernel fails to write stay NaN. */
  static final int NAN_BITS = 0x7fc00000;

  final int hidden;
  final int ffn;
  final int capacity;
  final PinnedBuffer[] hostIn = new PinnedBuffer[ChunkPlan.SLOTS];
  final PinnedBuffer[] hostOut = new PinnedBuffer[ChunkPlan.SLOTS];
  final DeviceBuffer[] deviceIn = new DeviceBuffer[ChunkPlan.SLOTS];
  final DeviceBuffer[] deviceOut = new DeviceBuffer[ChunkPlan.SLOTS];
  final CudaEvent[] uploaded = new CudaEvent[ChunkPlan.SLOTS];
  final CudaEvent[] computed = new CudaEvent[ChunkPlan.SLOTS];
  final CudaEvent[] downloaded = new CudaEvent[ChunkPlan.SLOTS];
  DeviceBuffer activations; // [capacity, hidden] in the tensor dtype
  DeviceBuffer gateUp; // [capacity, 2 * ffn] f32
  DeviceBuffer activated; // [capacity, ffn] in the tensor dtype
  private final List<AutoCloseable> owned = new ArrayList<>();

  private FfnWorkspace(int hidden, int ffn, int capacity) {
    this.hidden = hidden;
    this.ffn = ffn;
    this.capacity = capacity;
  }

  /** Allocates a workspace from {@code memory}; on failure frees what it had allocated. */
  static FfnWorkspace allocate(
      DeviceMemory memory, TensorDtype dtype, int hidden, int ffn, int capacity) {
    FfnWorkspace ws = new FfnWorkspace(hidden, ffn, capacity);
    try {
      ws.allocateBuffers(memory, dtype);
      return ws;
    } catch (RuntimeException e) {
      ws.close();
      throw e;
    }
  }

  private void allocateBuffers(DeviceMemory memory, TensorDtype dtype) {
    long ioBytes = 4L * capacity * hidden;
    for (int s = 0; s < ChunkPlan.SLOTS; s++) {
      hostIn[s] = own(memory.allocatePinned("ffn input slot " + s, ioBytes));
      hostOut[s] = own(memory.allocatePinned("ffn output slot " + s, ioBytes));
      deviceIn[s] = own(memory.allocate("ffn input slot " + s, ioBytes));
      deviceOut[s] = own(memory.allocate("ffn output slot " + s, ioBytes));
      uploaded[s] = own(CudaEvent.forSync());
      computed[s] = own(CudaEvent.forSync());
      downloaded[s] = own(CudaEvent.forSync());
    }
    long elements = (long) capacity * hidden;
    activations = own(memory.allocate("ffn activations", elements * dtype.sizeBytes()));
    gateUp = own(memory.allocate("ffn gate_up", 4L * capacity * 2 * ffn));
    activated = own(memory.allocate("ffn swiglu", (long) capacity * ffn * dtype.sizeBytes()));
  }

  boolean fits(int expertHidden, int expertFfn) {
    return hidden == expertHidden && ffn == expertFfn;
  }

  /** Fills every buffer with NaN (device ones on {@code stream}), so unwritten outputs show. */
  void poison(CudaStream stream) {
    for (int s = 0; s < ChunkPlan.SLOTS; s++) {
      fill(hostIn[s]);
      fill(hostOut[s]);
      fill(deviceIn[s], stream);
      fill(deviceOut[s], stream);
    }
    fill(activations, stream);
    fill(gateUp, stream);
    fill(activated, stream);
  }

  private static void fill(DeviceBuffer buffer, CudaStream stream) {
    CudaDriver.fill32Async(buffer.pointer(), NAN_BITS, buffer.sizeBytes() / 4, stream);
  }

  private static void fill(PinnedBuffer buffer) {
    java.nio.FloatBuffer floats = buffer.floats();
    for (int i = 0; i < floats.capacity(); i++) {
      floats.put(i, Float.NaN);
    }
  }

  private <T extends AutoCloseable> T own(T resource) {
    owned.add(resource);
    return resource;
  }

  /** Frees everything; the caller first makes sure no stream still uses it. */
  @Override
  public void close() {
    RuntimeException failure = null;
    for (int i = owned.size() - 1; i >= 0; i--) {
      try {
        owned.get(i).close();
      } catch (Exception e) {
        if (failure == null) {
          failure =
              new IllegalStateException("Cannot free the CUDA FFN workspace: " + e.getMessage(), e);
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    owned.clear();
    if (failure != null) {
      throw failure;
    }
  }
}
