package dev.sparkmoe.core.safetensors;

/**
 * The two implementations of bulk conversions from a checkpoint's 16-bit floats: F16 and BF16 to
 * f32, and F16 to bfloat16 bits. Both give the same bits for every input (subnormals, infinities
 * and NaN payloads included), so a decode does not depend on whether the Vector API is present.
 * Stateless; thread-safe.
 */
public enum DecodeKernel {
  /** One element at a time ({@link Float16#toFloat}, {@link BFloat16}); always available. */
  SCALAR {
    @Override
    public void halfToFloat(short[] src, int srcOffset, float[] dst, int dstOffset, int count) {
      for (int i = 0; i < count; i++) {
        dst[dstOffset + i] = Float16.toFloat(src[srcOffset + i]);
      }
    }

    @Override
    public void bf16ToFloat(short[] src, int srcOffset, float[] dst, int dstOffset, int count) {
      for (int i = 0; i < count; i++) {
        dst[dstOffset + i] = BFloat16.toFloat(src[srcOffset + i]);
      }
    }

    @Override
    public void halfToBf16(short[] src, int srcOffset, short[] dst, int dstOffset, int count) {
      for (int i = 0; i < count; i++) {
        dst[dstOffset + i] = BFloat16.fromFloat(Float16.toFloat(src[srcOffset + i]));
      }
    }
  },
  /** The JDK Vector API, integer lanes; only where {@link #isAvailable()}. */
  VECTOR {
    @Override
    public void halfToFloat(short[] src, int srcOffset, float[] dst, int dstOffset, int count) {
      checkAvailable();
      VectorDecode.halfToFloat(src, srcOffset, dst, dstOffset, count);
    }

    @Override
    public void bf16ToFloat(short[] src, int srcOffset, float[] dst, int dstOffset, int count) {
      checkAvailable();
      VectorDecode.bf16ToFloat(src, srcOffset, dst, dstOffset, count);
    }

    @Override
    public void halfToBf16(short[] src, int srcOffset, short[] dst, int dstOffset, int count) {
      checkAvailable();
      VectorDecode.halfToBf16(src, srcOffset, dst, dstOffset, count);
    }
  };

  /**
   * The Vector API module; the same check as {@code nn.VectorApi}, repeated so that this package
   * does not depend on the kernels' one.
   */
  private static final String MODULE = "jdk.incubator.vector";

  private static final boolean VECTOR_PRESENT = ModuleLayer.boot().findModule(MODULE).isPresent();

  private static final DecodeKernel BEST = VECTOR_PRESENT ? VECTOR : SCALAR;

  /** {@link #VECTOR} where the Vector API is present, else {@link #SCALAR}. */
  public static DecodeKernel best() {
    return BEST;
  }

  /** Whether this kernel can run in this JVM. */
  public boolean isAvailable() {
    return this == SCALAR || VECTOR_PRESENT;
  }

  /** {@code dst[dstOffset + i] =} the f32 value of half {@code src[srcOffset + i]}, exactly. */
  public abstract void halfToFloat(
      short[] src, int srcOffset, float[] dst, int dstOffset, int count);

  /** {@code dst[dstOffset + i] =} the f32 value of bfloat16 {@code src[srcOffset + i]}. */
  public abstract void bf16ToFloat(
      short[] src, int srcOffset, float[] dst, int dstOffset, int count);

  /**
   * {@code dst[dstOffset + i] =} half {@code src[srcOffset + i]} rounded to bfloat16, ties to even.
   */
  public abstract void halfToBf16(
      short[] src, int srcOffset, short[] dst, int dstOffset, int count);

  void checkAvailable() {
    if (!isAvailable()) {
      throw new IllegalStateException(
          "Cannot use the vector decode kernel: module "
              + MODULE
              + " is not resolved (start the JVM with --add-modules "
              + MODULE
              + ", or use DecodeKernel.SCALAR)");
    }
  }
}
