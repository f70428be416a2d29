package dev.sparkmoe.benchmarks;

import dev.sparkmoe.core.safetensors.DType;
import dev.sparkmoe.core.safetensors.DecodeKernel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decoding one seed-4x16 expert projection (2816 × 1024 halves, 5.77 MB of F16) to f32, or to
 * bfloat16 bits: {@code path=SCALAR} and {@code VECTOR} run the {@link DecodeKernel} alone on one
 * thread from a short array; {@code BUFFER} is the load path, {@link DType#decode} from a direct
 * little-endian buffer (vector kernel, parallel over parts on the common pool). MB/s of input is
 * {@code 5.77 / (ms/op) · 1000}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
public class DecodeBenchmark {
  static final int COUNT = 2816 * 1024;

  /** Where the halves come from and which kernel converts them. */
  public enum Path {
    SCALAR,
    VECTOR,
    BUFFER
  }

  /** The conversion. */
  public enum Conversion {
    F16_TO_F32,
    BF16_TO_F32,
    F16_TO_BF16
  }

  @Param({"SCALAR", "VECTOR", "BUFFER"})
  Path path;

  @Param({"F16_TO_F32", "BF16_TO_F32", "F16_TO_BF16"})
  Conversion conversion;

  private short[] halves;
  private ByteBuffer bytes;
  private float[] floats;
  private short[] bits;

  @Setup
  public void setUp() {
    Random random = new Random(1);
    halves = new short[COUNT];
    bytes = ByteBuffer.allocateDirect(2 * COUNT).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < COUNT; i++) {
      // Finite weights of order 0.02, as a checkpoint holds: the common case, not NaN payloads.
      float value = (float) (random.nextGaussian() * 0.02);
      halves[i] =
          conversion == Conversion.BF16_TO_F32
              ? dev.sparkmoe.core.safetensors.BFloat16.fromFloat(value)
              : dev.sparkmoe.core.safetensors.Float16.fromFloat(value);
      bytes.putShort(2 * i, halves[i]);
    }
    floats = new float[COUNT];
    bits = new short[COUNT];
  }

  @Benchmark
  public Object decode() {
    if (path == Path.BUFFER) {
      bytes.position(0);
      switch (conversion) {
        case F16_TO_F32 -> DType.F16.decode(bytes, floats, 0, COUNT);
        case BF16_TO_F32 -> DType.BF16.decode(bytes, floats, 0, COUNT);
        case F16_TO_BF16 -> DType.F16.toBf16Bits(bytes, bits, 0, COUNT);
      }
      return conversion == Conversion.F16_TO_BF16 ? bits : floats;
    }
    DecodeKernel kernel = path == Path.SCALAR ? DecodeKernel.SCALAR : DecodeKernel.VECTOR;
    switch (conversion) {
      case F16_TO_F32 -> kernel.halfToFloat(halves, 0, floats, 0, COUNT);
      case BF16_TO_F32 -> kernel.bf16ToFloat(halves, 0, floats, 0, COUNT);
      case F16_TO_BF16 -> kernel.halfToBf16(halves, 0, bits, 0, COUNT);
    }
    return conversion == Conversion.F16_TO_BF16 ? bits : floats;
  }
}
