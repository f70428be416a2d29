package dev.sparkmoe.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;
import jcuda.driver.CUdevice;
import jcuda.driver.CUresult;

/**
 * Whether the CUDA backend can run in this JVM and, when it cannot, one sentence that names the
 * platform, what is missing and the fix. Probes once per JVM: loads JCuda's driver library (which
 * needs the NVIDIA driver's {@code libcuda.so.1}), initializes the driver, checks its CUDA version,
 * looks for a GPU of compute capability 8.0 or newer, and checks that this jar holds the kernels.
 */
public final class CudaAvailability {
  /** The CUDA version the fatbin needs from the driver (nvcc 13.0 built it). */
  static final int MIN_DRIVER_CUDA = 13000;

  /** sm_80: the oldest machine code in the fatbin, and the first with bf16 tensor cores. */
  static final int MIN_COMPUTE_CAPABILITY = 80;

  static final String CPU_FIX = "use the CPU backend (--backend cpu, spark.moe.backend=cpu)";

  private static final String LINUX_X86_64 = "linux-x86_64";

  private static volatile Optional<String> probed;

  private CudaAvailability() {}

  /** Why the CUDA backend cannot run here, or empty when it can. Probes on first call. */
  public static Optional<String> reason() {
    Optional<String> result = probed;
    if (result == null) {
      synchronized (CudaAvailability.class) {
        if (probed == null) {
          probed = diagnose(platform(), new DriverProbe(), KernelImage::missingReason);
        }
        result = probed;
      }
    }
    return result;
  }

  /** This JVM's platform as JCuda's native libraries name it, e.g. {@code linux-x86_64}. */
  public static String platform() {
    String os = System.getProperty("os.name", "unknown").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "unknown").toLowerCase(Locale.ROOT);
    String osName = os.startsWith("linux") ? "linux" : os.startsWith("mac") ? "apple" : os;
    String archName = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64" : arch;
    return osName.replace(' ', '_') + "-" + archName;
  }

  static Optional<String> diagnose(
      String platform, DriverProbe driver, Supplier<Optional<String>> kernelsMissing) {
    if (!platform.equals(LINUX_X86_64)) {
      return Optional.of(
          String.format(
              "spark-moe-cuda ships JCuda's driver library for %s only, and this is %s; %s",
              LINUX_X86_64, platform, CPU_FIX));
    }
    Optional<String> driverProblem = driverProblem(platform, driver);
    if (driverProblem.isPresent()) {
      return driverProblem;
    }
    return kernelsMissing
        .get()
        .map(
            why ->
                String.format(
                    "this spark-moe-cuda jar has no CUDA kernels on %s (%s); rebuild it with nvcc"
                        + " (CUDA 13) on the PATH, or %s",
                    platform, why, CPU_FIX));
  }

  private static Optional<String> driverProblem(String platform, DriverProbe driver) {
    try {
      driver.load();
    } catch (LinkageError e) {
      return Optional.of(loadProblem(platform, e));
    }
    try {
      driver.init();
    } catch (CudaException e) {
      return Optional.of(
          String.format(
              "the NVIDIA driver on %s did not start (cuInit: %s); check that this JVM sees a GPU"
                  + " (CUDA_VISIBLE_DEVICES, spark.executor.resource.gpu.amount), or %s",
              platform, statusName(e), CPU_FIX));
    }
    int version = driver.driverVersion();
    if (version < MIN_DRIVER_CUDA) {
      return Optional.of(
          String.format(
              "the NVIDIA driver on %s supports CUDA %s, and the kernels need CUDA %s; install"
                  + " driver 580 or newer, or %s",
              platform, cudaVersion(version), cudaVersion(MIN_DRIVER_CUDA), CPU_FIX));
    }
    return deviceProblem(platform, driver, version);
  }

  private static Optional<String> deviceProblem(String platform, DriverProbe driver, int version) {
    int count = driver.deviceCount();
    if (count == 0) {
      return Optional.of(
          String.format(
              "no CUDA GPU is visible on %s (driver for CUDA %s, 0 devices); check"
                  + " CUDA_VISIBLE_DEVICES and spark.executor.resource.gpu.amount, or %s",
              platform, cudaVersion(version), CPU_FIX));
    }
    List<String> found = new ArrayList<>();
    for (int ordinal = 0; ordinal < count; ordinal++) {
      int capability = driver.computeCapability(ordinal);
      if (capability >= MIN_COMPUTE_CAPABILITY) {
        return Optional.empty();
      }
      found.add(String.format("%s %s", driver.deviceName(ordinal), capabilityName(capability)));
    }
    return Optional.of(
        String.format(
            "no GPU of compute capability 8.0 or newer on %s (found: %s); the kernels need an"
                + " Ampere GPU or newer, so %s",
            platform, String.join(", ", found), CPU_FIX));
  }

  private static String loadProblem(String platform, LinkageError e) {
    String message = String.valueOf(e.getMessage());
    if (messages(e).contains("libcuda.so")) {
      return String.format(
          "no NVIDIA driver on %s: libcuda.so.1 was not found; install an NVIDIA driver for CUDA"
              + " 13.0 or newer (580+), or %s",
          platform, CPU_FIX);
    }
    return String.format(
        "JCuda's driver library did not load on %s (%s: %s); check that java.io.tmpdir is writable,"
            + " or %s",
        platform, e.getClass().getSimpleName(), message.lines().findFirst().orElse(""), CPU_FIX);
  }

  /** The messages of {@code e} and its causes: a second load attempt reports the first's cause. */
  private static String messages(Throwable e) {
    StringBuilder all = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      all.append(t.getMessage()).append('\n');
    }
    return all.toString();
  }

  static String statusName(CudaException e) {
    return CUresult.stringFor(e.status()) + " (" + e.status() + ")";
  }

  /** 13000 as "13.0", 12040 as "12.4". */
  static String cudaVersion(int version) {
    return (version / 1000) + "." + (version % 1000) / 10;
  }

  /** 90 as "8.0"-style text: "9.0". */
  static String capabilityName(int capability) {
    return (capability / 10) + "." + (capability % 10);
  }

  /** The driver queries the probe makes; tests substitute one that fails on purpose. */
  static class DriverProbe {
    void load() {
      CudaDriver.load();
    }

    void init() {
      CudaDriver.init();
    }

    int driverVersion() {
      return CudaDriver.driverVersion();
    }

    int deviceCount() {
      return CudaDriver.deviceCount();
    }

    int computeCapability(int ordinal) {
      return CudaDriver.computeCapability(device(ordinal));
    }

    String deviceName(int ordinal) {
      return CudaDriver.deviceName(device(ordinal));
    }

    private static CUdevice device(int ordinal) {
      return CudaDriver.device(ordinal);
    }
  }
}
