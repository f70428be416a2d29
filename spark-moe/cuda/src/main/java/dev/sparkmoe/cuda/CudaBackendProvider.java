package dev.sparkmoe.cuda;

import dev.sparkmoe.core.backend.ExpertBackend;
import dev.sparkmoe.core.backend.ExpertBackendProvider;
import dev.sparkmoe.core.nn.ComputeDtype;
import java.util.Optional;

/**
 * Registers the CUDA backend with {@code ServiceLoader}: preferred over the CPU backend by {@code
 * auto} when a driver and a GPU are present. Options come from the {@code spark.moe.cuda.*} JVM
 * system properties ({@link CudaBackendOptions#fromSystemProperties()}); the GPU is the one Spark
 * assigned to the executor.
 */
public final class CudaBackendProvider implements ExpertBackendProvider {
  @Override
  public String name() {
    return CudaExpertBackend.NAME;
  }

  @Override
  public int priority() {
    return 100;
  }

  @Override
  public Optional<String> unavailableReason() {
    return CudaAvailability.reason();
  }

  @Override
  public ExpertBackend create() {
    return CudaExpertBackend.open(CudaBackendOptions.fromSystemProperties());
  }

  /**
   * On the GPU Spark assigned to the executor; an explicit {@value
   * CudaBackendOptions#DEVICE_PROPERTY} property still wins (a user's override), and without either
   * the backend uses GPU 0.
   */
  @Override
  public ExpertBackend create(String deviceAddress) {
    return CudaExpertBackend.open(forAddress(deviceAddress));
  }

  /**
   * As {@link #create(String)}; compute dtype {@link ComputeDtype#BF16} selects the bf16 tensor
   * cores (f32 accumulation) whatever {@code spark.moe.cuda.dtype} says, {@link ComputeDtype#F32}
   * keeps that property's type (the GPU always rounds to its tensor-core type).
   */
  @Override
  public ExpertBackend create(String deviceAddress, ComputeDtype dtype) {
    CudaBackendOptions options = forAddress(deviceAddress);
    return CudaExpertBackend.open(
        dtype == ComputeDtype.BF16 ? options.withDtype(TensorDtype.BF16) : options);
  }

  static CudaBackendOptions forAddress(String deviceAddress) {
    CudaBackendOptions options = CudaBackendOptions.fromSystemProperties();
    if (deviceAddress == null || System.getProperty(CudaBackendOptions.DEVICE_PROPERTY) != null) {
      return options;
    }
    return options.withDeviceAddress(deviceAddress);
  }
}
