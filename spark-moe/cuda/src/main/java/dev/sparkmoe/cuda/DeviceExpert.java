package dev.sparkmoe.cuda;

import dev.sparkmoe.core.backend.ResidentExpert;

/**
 * An expert's weights in device memory, in the backend's tensor dtype: {@code gateUp} [2·ffn,
 * hidden] and {@code down} [hidden, ffn], row-major. Owned and freed by the backend that uploaded
 * it.
 */
record DeviceExpert(
    CudaExpertBackend owner,
    int layer,
    int expert,
    int hidden,
    int ffn,
    DeviceBuffer gateUp,
    DeviceBuffer down)
    implements ResidentExpert {

  @Override
  public long sizeBytes() {
    return gateUp.sizeBytes() + down.sizeBytes();
  }

  void free() {
    gateUp.close();
    down.close();
  }
}
