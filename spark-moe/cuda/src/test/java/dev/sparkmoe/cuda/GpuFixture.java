package dev.sparkmoe.cuda;

import java.util.Arrays;
import jcuda.Pointer;

/**
 * One GPU test class's device: the context of GPU 0, a named memory owner (closed last, so a test
 * that leaks device memory fails), the kernels and a stream, with copies to and from the device.
 */
final class GpuFixture implements AutoCloseable {
  final CudaContext context;
  final DeviceMemory memory;
  final Kernels kernels;
  final CudaStream stream;

  private GpuFixture(String name) {
    context = CudaContext.forAddress(System.getProperty(CudaBackendOptions.DEVICE_PROPERTY, "0"));
    context.makeCurrent();
    memory = DeviceMemory.open(name);
    kernels = Kernels.load(context);
    stream = CudaStream.create(name);
  }

  static GpuFixture open(String name) {
    return new GpuFixture(name);
  }

  DeviceBuffer floats(String purpose, float[] values) {
    DeviceBuffer buffer = memory.allocate(purpose, 4L * values.length);
    CudaDriver.copyHostToDevice(buffer.pointer(), Pointer.to(values), 4L * values.length);
    return buffer;
  }

  DeviceBuffer shorts(String purpose, short[] values) {
    DeviceBuffer buffer = memory.allocate(purpose, 2L * values.length);
    CudaDriver.copyHostToDevice(buffer.pointer(), Pointer.to(values), 2L * values.length);
    return buffer;
  }

  DeviceBuffer ints(String purpose, int[] values) {
    DeviceBuffer buffer = memory.allocate(purpose, 4L * values.length);
    CudaDriver.copyHostToDevice(buffer.pointer(), Pointer.to(values), 4L * values.length);
    return buffer;
  }

  /** A buffer of {@code words} 32-bit words, every one a NaN, so unwritten elements show. */
  DeviceBuffer poisoned(String purpose, long words) {
    DeviceBuffer buffer = memory.allocate(purpose, 4L * words);
    CudaDriver.fill32Async(buffer.pointer(), FfnWorkspace.NAN_BITS, words, stream);
    stream.synchronize();
    return buffer;
  }

  float[] readFloats(DeviceBuffer buffer, int count) {
    stream.synchronize();
    float[] values = new float[count];
    CudaDriver.copyDeviceToHost(Pointer.to(values), buffer.pointer(), 4L * count);
    return values;
  }

  short[] readShorts(DeviceBuffer buffer, int count) {
    stream.synchronize();
    short[] values = new short[count];
    CudaDriver.copyDeviceToHost(Pointer.to(values), buffer.pointer(), 2L * count);
    return values;
  }

  int[] readInts(DeviceBuffer buffer, int count) {
    stream.synchronize();
    int[] values = new int[count];
    CudaDriver.copyDeviceToHost(Pointer.to(values), buffer.pointer(), 4L * count);
    return values;
  }

  @Override
  public void close() {
    context.makeCurrent();
    stream.close();
    kernels.close();
    memory.close();
  }

  /** ‖a − b‖ / ‖b‖ in double. */
  static double relativeError(float[] actual, double[] expected) {
    double diff = 0;
    double norm = 0;
    for (int i = 0; i < expected.length; i++) {
      double d = actual[i] - expected[i];
      diff += d * d;
      norm += expected[i] * expected[i];
    }
    return Math.sqrt(diff / norm);
  }

  static double relativeError(float[] actual, float[] expected) {
    double[] wide = new double[expected.length];
    Arrays.setAll(wide, i -> expected[i]);
    return relativeError(actual, wide);
  }

  /** The index of the first element that is not finite, or -1. */
  static int firstNonFinite(float[] values, int count) {
    for (int i = 0; i < count; i++) {
      if (!Float.isFinite(values[i])) {
        return i;
      }
    }
    return -1;
  }
}
