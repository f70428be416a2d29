package dev.sparkmoe.core.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SwiGLU with the Vector API, {@code out = gate / (1 + e^-gate) · up}, with {@link FloatExp}'s
 * exponential repeated lane by lane (same operations, same order), so every element equals what
 * {@link Activations#silu} gives, whatever its position and whichever JIT tier runs. Load only when
 * {@link VectorApi#isPresent()}.
 */
final class VectorSwiGlu {
  /**
   * At most 256 bits: SwiGLU is memory-bound at any width, and 512-bit lanes gain nothing on the
   * CPUs we measured (see benchmarks/RESULTS.md).
   */
  static final VectorSpecies<Float> SPECIES =
      FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256
          ? FloatVector.SPECIES_256
          : FloatVector.SPECIES_PREFERRED;

  private VectorSwiGlu() {}

  /**
   * One row: {@code ffn} gate values at {@code gate}, up values at {@code up}, into {@code out}.
   */
  static void row(float[] in, int gate, int up, int ffn, float[] out, int outOffset) {
    int lanes = SPECIES.length();
    int bound = SPECIES.loopBound(ffn);
    int i = 0;
    for (; i < bound; i += lanes) {
      FloatVector x = FloatVector.fromArray(SPECIES, in, gate + i);
      FloatVector u = FloatVector.fromArray(SPECIES, in, up + i);
      x.div(exp(x.neg()).add(1f)).mul(u).intoArray(out, outOffset + i);
    }
    for (; i < ffn; i++) {
      out[outOffset + i] = Activations.silu(in[gate + i]) * in[up + i];
    }
  }

  /** {@link FloatExp#exp} on every lane. */
  private static FloatVector exp(FloatVector value) {
    FloatVector x = value.max(FloatExp.MIN_ARG).min(FloatExp.MAX_ARG);
    FloatVector shifted = x.fma(FloatExp.LOG2E, FloatExp.ROUND);
    FloatVector n = shifted.sub(FloatExp.ROUND);
    FloatVector r = n.fma(constant(-FloatExp.LN2_HI), x);
    r = n.fma(constant(-FloatExp.LN2_LO), r);
    FloatVector p = r.fma(FloatExp.P0, FloatExp.P1);
    p = p.fma(r, constant(FloatExp.P2));
    p = p.fma(r, constant(FloatExp.P3));
    p = p.fma(r, constant(FloatExp.P4));
    p = p.fma(r, constant(FloatExp.P5));
    FloatVector y = p.fma(r.mul(r), r).add(1f);
    FloatVector scale =
        shifted
            .reinterpretAsInts()
            .sub(FloatExp.ROUND_BITS - 127)
            .lanewise(VectorOperators.LSHL, 23)
            .reinterpretAsFloats();
    return y.mul(scale);
  }

  private static FloatVector constant(float value) {
    return FloatVector.broadcast(SPECIES, value);
  }
}
