package dev.sparkmoe.cuda;

import dev.sparkmoe.core.backend.ExpertBackend;
import dev.sparkmoe.core.backend.ExpertBackendProvider;
import java.util.Optional;

/**
 * Registers the CUDA backend with {@code ServiceLoader}: preferred over the CPU backend by {@code
 * auto} when a driver and a GPU are present. Options come from the {@code spark.moe.cuda.*} JVM
 * system properties ({@link CudaBackendOptions#fromSystemProperties()}).
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
}
