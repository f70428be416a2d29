package dev.sparkmoe.cuda;

import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUmodule;
import jcuda.driver.CUpointer_attribute;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

/**
 * The one bridge to the CUDA driver: every driver call of spark-moe goes through this class, and
 * every failed status becomes a {@link CudaException} naming the call. JCuda's own exceptions are
 * off, so statuses reach {@link #check}.
 *
 * <p>Loading this class does not load the native library; {@link #load()} does, once. Calls other
 * than {@link #check} need a loaded library and, except the device queries, a current context
 * ({@link CudaContext#makeCurrent()}). Thread-safe as the driver API is.
 */
public final class CudaDriver {
  private CudaDriver() {}

  /**
   * Loads JCuda's driver library (which links the driver's {@code libcuda.so.1}).
   *
   * @throws LinkageError if it cannot be loaded, e.g. because there is no NVIDIA driver
   */
  static void load() {
    JCudaDriver.setExceptionsEnabled(false);
  }

  /** Throws a {@link CudaException} naming {@code call} unless {@code status} is success. */
  static void check(int status, String call) {
    if (status != CUresult.CUDA_SUCCESS) {
      throw new CudaException(call, status);
    }
  }

  static void init() {
    check(JCudaDriver.cuInit(0), "cuInit");
  }

  /** The CUDA version the driver supports, e.g. 13000 for 13.0. */
  static int driverVersion() {
    int[] version = new int[1];
    check(JCudaDriver.cuDriverGetVersion(version), "cuDriverGetVersion");
    return version[0];
  }

  static int deviceCount() {
    int[] count = new int[1];
    check(JCudaDriver.cuDeviceGetCount(count), "cuDeviceGetCount");
    return count[0];
  }

  static CUdevice device(int ordinal) {
    CUdevice device = new CUdevice();
    check(JCudaDriver.cuDeviceGet(device, ordinal), "cuDeviceGet(" + ordinal + ")");
    return device;
  }

  static String deviceName(CUdevice device) {
    byte[] name = new byte[256];
    check(JCudaDriver.cuDeviceGetName(name, name.length, device), "cuDeviceGetName");
    int length = 0;
    while (length < name.length && name[length] != 0) {
      length++;
    }
    return new String(name, 0, length, java.nio.charset.StandardCharsets.UTF_8);
  }

  static int deviceAttribute(CUdevice device, int attribute) {
    int[] value = new int[1];
    check(
        JCudaDriver.cuDeviceGetAttribute(value, attribute, device),
        "cuDeviceGetAttribute(" + attribute + ")");
    return value[0];
  }

  /** Compute capability as major * 10 + minor: 90 for sm_90. */
  static int computeCapability(CUdevice device) {
    return 10
            * deviceAttribute(
                device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)
        + deviceAttribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
  }

  static long deviceTotalMemory(CUdevice device) {
    long[] bytes = new long[1];
    check(JCudaDriver.cuDeviceTotalMem(bytes, device), "cuDeviceTotalMem");
    return bytes[0];
  }

  static CUcontext retainPrimaryContext(CUdevice device, int ordinal) {
    CUcontext context = new CUcontext();
    check(
        JCudaDriver.cuDevicePrimaryCtxRetain(context, device),
        "cuDevicePrimaryCtxRetain(GPU " + ordinal + ")");
    return context;
  }

  static void setCurrent(CUcontext context) {
    check(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
  }

  static CUmodule loadModule(byte[] image) {
    CUmodule module = new CUmodule();
    check(JCudaDriver.cuModuleLoadData(module, image), "cuModuleLoadData(kernel fatbin)");
    return module;
  }

  static void unloadModule(CUmodule module) {
    check(JCudaDriver.cuModuleUnload(module), "cuModuleUnload");
  }

  static CUfunction function(CUmodule module, String name) {
    CUfunction function = new CUfunction();
    check(
        JCudaDriver.cuModuleGetFunction(function, module, name),
        "cuModuleGetFunction(" + name + ")");
    return function;
  }

  static void setMaxDynamicSharedMemory(CUfunction function, String name, int bytes) {
    check(
        JCudaDriver.cuFuncSetAttribute(
            function, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes),
        "cuFuncSetAttribute(" + name + ", max dynamic shared memory " + bytes + " bytes)");
  }

  @SuppressWarnings("TooManyParameters") // the driver's launch signature
  static void launch(
      CUfunction function,
      String name,
      int gridX,
      int gridY,
      int blockX,
      int sharedBytes,
      CudaStream stream,
      Pointer parameters) {
    check(
        JCudaDriver.cuLaunchKernel(
            function,
            gridX,
            gridY,
            1,
            blockX,
            1,
            1,
            sharedBytes,
            stream.handle(),
            parameters,
            null),
        String.format(
            "cuLaunchKernel(%s, grid %dx%d, block %d, %d bytes shared)",
            name, gridX, gridY, blockX, sharedBytes));
  }

  static CUdeviceptr memAlloc(long bytes) {
    CUdeviceptr pointer = new CUdeviceptr();
    check(JCudaDriver.cuMemAlloc(pointer, bytes), "cuMemAlloc(" + bytes + " bytes)");
    return pointer;
  }

  static void memFree(CUdeviceptr pointer) {
    check(JCudaDriver.cuMemFree(pointer), "cuMemFree");
  }

  static Pointer memAllocHost(long bytes) {
    Pointer pointer = new Pointer();
    check(JCudaDriver.cuMemAllocHost(pointer, bytes), "cuMemAllocHost(" + bytes + " bytes)");
    return pointer;
  }

  static void memFreeHost(Pointer pointer) {
    check(JCudaDriver.cuMemFreeHost(pointer), "cuMemFreeHost");
  }

  /**
   * Copies to the device and waits until the data is there. A plain cuMemcpyHtoD from pageable
   * memory may return before its DMA ends, and work on our non-blocking streams does not wait for
   * the legacy default stream that carries it, so the wait is explicit.
   */
  static void copyHostToDevice(CUdeviceptr dst, Pointer src, long bytes) {
    check(JCudaDriver.cuMemcpyHtoD(dst, src, bytes), "cuMemcpyHtoD(" + bytes + " bytes)");
    check(JCudaDriver.cuStreamSynchronize(null), "cuStreamSynchronize(default stream)");
  }

  /**
   * Copies to the host; returns when the copy is done. It does not wait for work on other streams:
   * synchronize the stream that wrote {@code src} first.
   */
  /** The raw device address {@code pointer} holds, as other CUDA libraries exchange addresses. */
  static long address(CUdeviceptr pointer) {
    long[] address = new long[1];
    check(
        JCudaDriver.cuPointerGetAttribute(
            Pointer.to(address), CUpointer_attribute.CU_POINTER_ATTRIBUTE_DEVICE_POINTER, pointer),
        "cuPointerGetAttribute(DEVICE_POINTER)");
    return address[0];
  }

  static void copyDeviceToHost(Pointer dst, CUdeviceptr src, long bytes) {
    check(JCudaDriver.cuMemcpyDtoH(dst, src, bytes), "cuMemcpyDtoH(" + bytes + " bytes)");
  }

  static void copyHostToDeviceAsync(CUdeviceptr dst, Pointer src, long bytes, CudaStream stream) {
    check(
        JCudaDriver.cuMemcpyHtoDAsync(dst, src, bytes, stream.handle()),
        "cuMemcpyHtoDAsync(" + bytes + " bytes)");
  }

  static void copyDeviceToHostAsync(Pointer dst, CUdeviceptr src, long bytes, CudaStream stream) {
    check(
        JCudaDriver.cuMemcpyDtoHAsync(dst, src, bytes, stream.handle()),
        "cuMemcpyDtoHAsync(" + bytes + " bytes)");
  }

  static void fill32Async(CUdeviceptr dst, int bits, long count, CudaStream stream) {
    check(
        JCudaDriver.cuMemsetD32Async(dst, bits, count, stream.handle()),
        "cuMemsetD32Async(" + count + " words)");
  }

  static CUstream streamCreate() {
    CUstream stream = new CUstream();
    check(
        JCudaDriver.cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING),
        "cuStreamCreate");
    return stream;
  }

  static void streamDestroy(CUstream stream) {
    check(JCudaDriver.cuStreamDestroy(stream), "cuStreamDestroy");
  }

  static void streamSynchronize(CUstream stream) {
    check(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");
  }

  static void streamWaitEvent(CUstream stream, CUevent event) {
    check(JCudaDriver.cuStreamWaitEvent(stream, event, 0), "cuStreamWaitEvent");
  }

  static CUevent eventCreate(boolean timing) {
    CUevent event = new CUevent();
    int flags = timing ? CUevent_flags.CU_EVENT_DEFAULT : CUevent_flags.CU_EVENT_DISABLE_TIMING;
    check(JCudaDriver.cuEventCreate(event, flags), "cuEventCreate");
    return event;
  }

  static void eventRecord(CUevent event, CUstream stream) {
    check(JCudaDriver.cuEventRecord(event, stream), "cuEventRecord");
  }

  static void eventSynchronize(CUevent event) {
    check(JCudaDriver.cuEventSynchronize(event), "cuEventSynchronize");
  }

  static float eventElapsedMs(CUevent start, CUevent end) {
    float[] ms = new float[1];
    check(JCudaDriver.cuEventElapsedTime(ms, start, end), "cuEventElapsedTime");
    return ms[0];
  }

  static void eventDestroy(CUevent event) {
    check(JCudaDriver.cuEventDestroy(event), "cuEventDestroy");
  }

  /** Free and total device memory of the current context's GPU, in bytes. */
  static long[] memoryInfo() {
    long[] free = new long[1];
    long[] total = new long[1];
    check(JCudaDriver.cuMemGetInfo(free, total), "cuMemGetInfo");
    return new long[] {free[0], total[0]};
  }
}
