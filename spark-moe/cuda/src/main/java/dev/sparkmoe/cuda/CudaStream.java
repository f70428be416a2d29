package dev.sparkmoe.cuda;

import jcuda.driver.CUstream;

/**
 * A non-blocking CUDA stream of one context: work on it runs in order, concurrently with other
 * streams. Create and use it with its context current. Not thread-safe.
 */
public final class CudaStream implements AutoCloseable {
  private final String name;
  private CUstream handle;

  private CudaStream(String name, CUstream handle) {
    this.name = name;
    this.handle = handle;
  }

  /** A new stream named for logs and errors (e.g. {@code h2d}). */
  public static CudaStream create(String name) {
    return new CudaStream(name, CudaDriver.streamCreate());
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
    if (handle != null) {
      CudaDriver.streamDestroy(handle);
      handle = null;
    }
  }
}
