package dev.sparkmoe.cuda;

import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * A non-blocking CUDA stream of one context: work on it runs in order, concurrently with other
 * streams. Create and use it with its context current. Not thread-safe.
 */
public final class CudaStream implements AutoCloseable {
  private final String name;
  private final boolean owned;
  private CUstream handle;

  private CudaStream(String name, CUstream handle, boolean owned) {
    this.name = name;
    this.handle = handle;
    this.owned = owned;
  }

  /** A new stream named for logs and errors (e.g. {@code h2d}). */
  public static CudaStream create(String name) {
    return new CudaStream(name, CudaDriver.streamCreate(), true);
  }

  /**
   * The calling thread's per-thread default stream ({@code CU_STREAM_PER_THREAD}), which cudf uses
   * when built with per-thread default streams, as RAPIDS is. Borrowed: {@link #close()} leaves it.
   */
  public static CudaStream perThreadDefault() {
    return new CudaStream("per-thread default", JCudaDriver.CU_STREAM_PER_THREAD, false);
  }

  /** The legacy default stream ({@code CU_STREAM_LEGACY}). Borrowed: {@link #close()} leaves it. */
  public static CudaStream legacyDefault() {
    return new CudaStream("legacy default", JCudaDriver.CU_STREAM_LEGACY, false);
  }

  public String name() {
    return name;
  }

  CUstream handle() {
    if (handle == null) {
      throw new IllegalStateException("Cannot use CUDA stream " + name + ": it is closed");
    }
    return handle;
  }

  /** Makes later work on this stream wait until {@code event}'s last recorded point is reached. */
  public void waitFor(CudaEvent event) {
    CudaDriver.streamWaitEvent(handle(), event.handle());
  }

  /** Blocks until all work queued on this stream is done. */
  public void synchronize() {
    CudaDriver.streamSynchronize(handle());
  }

  @Override
  public void close() {
    if (handle != null && owned) {
      CudaDriver.streamDestroy(handle);
      handle = null;
    }
  }
}
