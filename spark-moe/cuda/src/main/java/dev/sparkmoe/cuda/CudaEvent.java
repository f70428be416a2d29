package dev.sparkmoe.cuda;

import jcuda.driver.CUevent;

/**
 * A CUDA event: a point in a stream that other streams and the host can wait for, and, for timing
 * events, read elapsed GPU time between. Create and use it with its context current. Not
 * thread-safe.
 */
public final class CudaEvent implements AutoCloseable {
  private CUevent handle;

  private CudaEvent(CUevent handle) {
    this.handle = handle;
  }

  /** An event for ordering only (cheaper: records no time). */
  public static CudaEvent forSync() {
    return new CudaEvent(CudaDriver.eventCreate(false));
  }

  /** An event that records GPU time, for {@link #elapsedMsSince}. */
  public static CudaEvent forTiming() {
    return new CudaEvent(CudaDriver.eventCreate(true));
  }

  CUevent handle() {
    if (handle == null) {
      throw new IllegalStateException("Cannot use CUDA event: it is closed");
    }
    return handle;
  }

  /** Records this event at the current end of {@code stream}. */
  public void record(CudaStream stream) {
    CudaDriver.eventRecord(handle(), stream.handle());
  }

  /** Blocks until the work before the last record is done; returns at once if never recorded. */
  public void synchronize() {
    CudaDriver.eventSynchronize(handle());
  }

  /** GPU milliseconds from {@code start} to this event; both timing events, both completed. */
  public float elapsedMsSince(CudaEvent start) {
    return CudaDriver.eventElapsedMs(start.handle(), handle());
  }

  @Override
  public void close() {
    if (handle != null) {
      CudaDriver.eventDestroy(handle);
      handle = null;
    }
  }
}
