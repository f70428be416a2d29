package dev.sparkmoe.cuda;

import jcuda.driver.CUresult;

/**
 * A CUDA driver call that returned an error status. The message names the call, its arguments where
 * they help, and the status: {@code Cannot cuMemAlloc(1073741824 bytes): CUDA_ERROR_OUT_OF_MEMORY
 * (2)}.
 */
public final class CudaException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String call;
  private final int status;

  CudaException(String call, int status) {
    super(String.format("Cannot %s: %s (%d)", call, CUresult.stringFor(status), status));
    this.call = call;
    this.status = status;
  }

  /** The call as the message names it, e.g. {@code cuMemAlloc(1024 bytes)}. */
  public String call() {
    return call;
  }

  /** The {@code CUresult} status code. */
  public int status() {
    return status;
  }
}
