package dev.sparkmoe.core.backend;

import dev.sparkmoe.core.nn.ComputeDtype;
import java.util.Optional;

/**
 * Service-provider interface: a jar that adds a backend lists its provider in {@code
 * META-INF/services/dev.sparkmoe.core.backend.ExpertBackendProvider}. The CPU provider is always
 * present.
 */
public interface ExpertBackendProvider {
  /** The backend's name, as {@code spark.moe.backend} spells it. */
  String name();

  /** Higher wins when the backend is {@code auto}; the CPU backend is 0. */
  int priority();

  /** Why this backend cannot run here (missing driver, no device), or empty when it can. */
  Optional<String> unavailableReason();

  /** Creates a backend; call only when {@link #unavailableReason()} is empty. */
  ExpertBackend create();

  /**
   * Creates a backend on the accelerator Spark assigned to this executor: {@code deviceAddress} is
   * its resource address ({@code TaskContext.resources()}, e.g. {@code "3"} for a GPU), or null
   * where the executor has none. Backends without devices ignore it (the default).
   */
  default ExpertBackend create(String deviceAddress) {
    return create();
  }

  /**
   * Creates a backend as {@link #create(String)} that computes in {@code dtype}. Backends that
   * compute in f32 only (the default) refuse any other dtype.
   *
   * @throws IllegalArgumentException if this backend cannot compute in {@code dtype} here
   */
  default ExpertBackend create(String deviceAddress, ComputeDtype dtype) {
    if (dtype != ComputeDtype.F32) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid compute dtype for backend %s: %s (expected: f32)",
              name(), dtype.optionName()));
    }
    return create(deviceAddress);
  }
}
