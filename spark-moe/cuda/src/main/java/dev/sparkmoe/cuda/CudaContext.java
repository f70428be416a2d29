package dev.sparkmoe.cuda;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;

/**
 * The CUDA context of one GPU: the device's primary context, retained once per JVM and kept for its
 * lifetime (an executor's), so every backend and task on that GPU shares it. The GPU is named by
 * the address Spark gives a task ({@code TaskContext.resources().get("gpu").addresses()}): a CUDA
 * device ordinal as this process sees it.
 *
 * <p>Thread-safe. Every thread must {@link #makeCurrent()} before its driver calls.
 */
public final class CudaContext {
  private static final Map<Integer, CudaContext> CONTEXTS = new ConcurrentHashMap<>();

  private final int ordinal;
  private final CUcontext context;
  private final String deviceName;
  private final int computeCapability;
  private final int multiprocessors;
  private final long totalMemoryBytes;
  private final int driverVersion;

  private CudaContext(int ordinal) {
    CUdevice device = CudaDriver.device(ordinal);
    this.ordinal = ordinal;
    this.deviceName = CudaDriver.deviceName(device);
    this.computeCapability = CudaDriver.computeCapability(device);
    this.multiprocessors =
        CudaDriver.deviceAttribute(
            device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
    this.totalMemoryBytes = CudaDriver.deviceTotalMemory(device);
    this.driverVersion = CudaDriver.driverVersion();
    if (computeCapability < CudaAvailability.MIN_COMPUTE_CAPABILITY) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot use GPU %d (%s, compute capability %s): the kernels need 8.0 or newer",
              ordinal, deviceName, CudaAvailability.capabilityName(computeCapability)));
    }
    this.context = CudaDriver.retainPrimaryContext(device, ordinal);
  }

  /**
   * The context of the GPU at {@code address}, created on first use.
   *
   * @throws IllegalArgumentException if {@code address} is not a device ordinal of this process, or
   *     names a GPU older than compute capability 8.0
   * @throws IllegalStateException if the CUDA backend cannot run here (see {@link
   *     CudaAvailability#reason()})
   */
  public static CudaContext forAddress(String address) {
    CudaAvailability.reason()
        .ifPresent(
            reason -> {
              throw new IllegalStateException("Cannot use the CUDA backend: " + reason);
            });
    int ordinal = parseOrdinal(address, CudaDriver.deviceCount());
    return CONTEXTS.computeIfAbsent(ordinal, CudaContext::new);
  }

  static int parseOrdinal(String address, int deviceCount) {
    int ordinal;
    try {
      ordinal = Integer.parseInt(address.strip());
    } catch (NumberFormatException e) {
      ordinal = -1;
    }
    if (ordinal < 0 || ordinal >= deviceCount) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid GPU address: %s (expected: a CUDA device ordinal, 0 <= n < %d here)",
              address, deviceCount));
    }
    return ordinal;
  }

  /** Makes this context current on the calling thread. */
  public void makeCurrent() {
    CudaDriver.setCurrent(context);
  }

  public int ordinal() {
    return ordinal;
  }

  public String deviceName() {
    return deviceName;
  }

  /** Major * 10 + minor: 90 for an H100 or H200. */
  public int computeCapability() {
    return computeCapability;
  }

  public int multiprocessors() {
    return multiprocessors;
  }

  public long totalMemoryBytes() {
    return totalMemoryBytes;
  }

  /** The CUDA version the driver supports, e.g. 13000. */
  public int driverVersion() {
    return driverVersion;
  }

  /** E.g. {@code NVIDIA H200 (GPU 0, sm_90, 132 SMs, 140 GiB, driver CUDA 13.0)}. */
  public String description() {
    return String.format(
        "%s (GPU %d, sm_%d, %d SMs, %d GiB, driver CUDA %s)",
        deviceName,
        ordinal,
        computeCapability,
        multiprocessors,
        totalMemoryBytes >> 30,
        CudaAvailability.cudaVersion(driverVersion));
  }
}
