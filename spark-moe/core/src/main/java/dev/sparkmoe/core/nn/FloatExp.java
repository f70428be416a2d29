package dev.sparkmoe.core.nn;

/**
 * {@code e^x} in f32 by Cephes' {@code expf} scheme: round {@code x·log2(e)} to an integer n,
 * reduce {@code r = x − n·ln 2} in two steps, a degree-7 polynomial for {@code e^r}, and scale by
 * {@code 2^n} through the exponent bits. About 1 ulp; arguments are clamped to [{@value #MIN_ARG},
 * {@value #MAX_ARG}], so the result is a normal float (never 0 or infinity).
 *
 * <p>Why not {@link Math#exp}: the Vector API computes its own {@code EXP} with a vector library in
 * compiled code and with {@code Math.exp} in the interpreter, so the same input could give
 * different last bits before and after the JIT, and the pipeline promises bit-identical results
 * across placements. This scheme uses only additions, multiplications, fused multiply-adds and bit
 * moves, which are exact-rounded the same way everywhere; {@code VectorSwiGlu} repeats it lane by
 * lane, so the scalar and vector SwiGLU kernels agree bit for bit.
 */
final class FloatExp {
  static final float MAX_ARG = 88.3762626647949f;
  static final float MIN_ARG = -87f;
  static final float LOG2E = 1.44269504088896341f;

  /**
   * 1.5 · 2^23: adding it rounds a float of magnitude below 2^22 to an integer, in the low bits.
   */
  static final float ROUND = 12582912f;

  static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
  static final float LN2_HI = 0.693359375f;
  static final float LN2_LO = -2.12194440e-4f;
  static final float P0 = 1.9875691500e-4f;
  static final float P1 = 1.3981999507e-3f;
  static final float P2 = 8.3334519073e-3f;
  static final float P3 = 4.1665795894e-2f;
  static final float P4 = 1.6666665459e-1f;
  static final float P5 = 5.0000001201e-1f;

  private FloatExp() {}

  static float exp(float value) {
    float x = Math.min(Math.max(value, MIN_ARG), MAX_ARG);
    float shifted = Math.fma(x, LOG2E, ROUND);
    float n = shifted - ROUND;
    float r = Math.fma(n, -LN2_HI, x);
    r = Math.fma(n, -LN2_LO, r);
    float p = Math.fma(r, P0, P1);
    p = Math.fma(p, r, P2);
    p = Math.fma(p, r, P3);
    p = Math.fma(p, r, P4);
    p = Math.fma(p, r, P5);
    float y = Math.fma(p, r * r, r) + 1f;
    int exponent = (Float.floatToRawIntBits(shifted) - ROUND_BITS + 127) << 23;
    return y * Float.intBitsToFloat(exponent);
  }
}
