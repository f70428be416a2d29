package dev.sparkmoe.core.backend;

import dev.sparkmoe.core.nn.ComputeDtype;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Finds backends through {@link ServiceLoader} and creates the one a name asks for. */
public final class ExpertBackends {
  private static final Logger LOG = LoggerFactory.getLogger(ExpertBackends.class);

  /** The name that picks the highest-priority available backend. */
  public static final String AUTO = "auto";

  private ExpertBackends() {}

  /** All registered providers, highest priority first. */
  public static List<ExpertBackendProvider> providers() {
    List<ExpertBackendProvider> providers = new ArrayList<>();
    ServiceLoader.load(ExpertBackendProvider.class, ExpertBackends.class.getClassLoader())
        .forEach(providers::add);
    providers.sort(Comparator.comparingInt(ExpertBackendProvider::priority).reversed());
    return providers;
  }

  /**
   * Creates the backend named {@code name} ({@code cpu}, {@code cuda}, …, or {@code auto}).
   *
   * @throws IllegalArgumentException for an unknown name, or a known backend that cannot run here
   *     (the message says why and how to fix it)
   */
  public static ExpertBackend create(String name) {
    return create(name, null);
  }

  /**
   * Creates the backend named {@code name} on the accelerator at {@code deviceAddress} (Spark's
   * resource address for this executor; null: none assigned, the backend's default).
   *
   * @throws IllegalArgumentException as {@link #create(String)}
   */
  public static ExpertBackend create(String name, String deviceAddress) {
    return create(name, deviceAddress, ComputeDtype.F32);
  }

  /**
   * Creates the backend named {@code name} on the accelerator at {@code deviceAddress}, computing
   * in {@code dtype} ({@code cpu} supports {@link ComputeDtype#BF16} where the CPU has bf16
   * instructions).
   *
   * @throws IllegalArgumentException as {@link #create(String)}, or if the backend cannot compute
   *     in {@code dtype} here (the message names the CPU flags found and the fix)
   */
  public static ExpertBackend create(String name, String deviceAddress, ComputeDtype dtype) {
    List<ExpertBackendProvider> providers = providers();
    ExpertBackendProvider provider =
        AUTO.equals(name) ? chooseAuto(providers) : usable(name, providers);
    return provider.create(deviceAddress, dtype);
  }

  /**
   * Checks, without creating anything, that {@code name} would give a backend here: on the driver,
   * before any task starts.
   *
   * @throws IllegalArgumentException as {@link #create} would
   */
  public static void check(String name) {
    if (!AUTO.equals(name)) {
      usable(name, providers());
    }
  }

  /**
   * Checks that {@code name} is a registered backend (or {@code auto}) without asking whether it
   * can run here: for a driver whose executors, not itself, hold the GPUs.
   *
   * @throws IllegalArgumentException for an unknown name, listing the known ones
   */
  public static void checkName(String name) {
    if (!AUTO.equals(name)) {
      registered(name, providers());
    }
  }

  private static ExpertBackendProvider usable(String name, List<ExpertBackendProvider> providers) {
    ExpertBackendProvider provider = registered(name, providers);
    Optional<String> reason = provider.unavailableReason();
    if (reason.isPresent()) {
      throw new IllegalArgumentException(
          String.format("Cannot use backend %s: %s", name, reason.get()));
    }
    return provider;
  }

  private static ExpertBackendProvider registered(
      String name, List<ExpertBackendProvider> providers) {
    return providers.stream()
        .filter(p -> p.name().equals(name))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    String.format(
                        "Invalid backend: %s (expected: one of %s)", name, names(providers))));
  }

  private static ExpertBackendProvider chooseAuto(List<ExpertBackendProvider> providers) {
    for (ExpertBackendProvider provider : providers) {
      Optional<String> reason = provider.unavailableReason();
      if (reason.isEmpty()) {
        LOG.info("Backend auto: chose {}", provider.name());
        return provider;
      }
      LOG.info("Backend auto: skipped {}: {}", provider.name(), reason.get());
    }
    throw new IllegalStateException("Cannot choose a backend: no provider is available");
  }

  private static String names(List<ExpertBackendProvider> providers) {
    List<String> names =
        providers.stream().map(ExpertBackendProvider::name).collect(Collectors.toList());
    names.add(AUTO);
    return String.join(", ", names);
  }
}
