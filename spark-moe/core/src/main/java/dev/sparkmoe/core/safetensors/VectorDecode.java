package dev.sparkmoe.core.safetensors;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link DecodeKernel#VECTOR}: 16-bit floats widened to int lanes and rebuilt as f32 bits with
 * integer operations, the same results as the scalar decode for all 65,536 inputs. Load only where
 * the Vector API is present.
 */
final class VectorDecode {
  private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;

  /** As many short lanes as {@link #INTS} has int lanes, in half the bits. */
  private static final VectorSpecies<Short> SHORTS =
      VectorSpecies.of(short.class, VectorShape.forBitSize(INTS.vectorBitSize() / 2));

  /** 2^-14, the smallest normal half, as f32 bits with biased exponent 113. */
  private static final int EXPONENT_113 = 113 << 23;

  private static final int REBIAS = 112 << 23;

  private VectorDecode() {}

  static void halfToFloat(short[] src, int srcOffset, float[] dst, int dstOffset, int count) {
    int lanes = INTS.length();
    int i = 0;
    for (int bound = INTS.loopBound(count); i < bound; i += lanes) {
      halfBits(widen(src, srcOffset + i)).reinterpretAsFloats().intoArray(dst, dstOffset + i);
    }
    DecodeKernel.SCALAR.halfToFloat(src, srcOffset + i, dst, dstOffset + i, count - i);
  }

  static void bf16ToFloat(short[] src, int srcOffset, float[] dst, int dstOffset, int count) {
    int lanes = INTS.length();
    int i = 0;
    for (int bound = INTS.loopBound(count); i < bound; i += lanes) {
      widen(src, srcOffset + i)
          .lanewise(VectorOperators.LSHL, 16)
          .reinterpretAsFloats()
          .intoArray(dst, dstOffset + i);
    }
    DecodeKernel.SCALAR.bf16ToFloat(src, srcOffset + i, dst, dstOffset + i, count - i);
  }

  static void halfToBf16(short[] src, int srcOffset, short[] dst, int dstOffset, int count) {
    int lanes = INTS.length();
    int i = 0;
    for (int bound = INTS.loopBound(count); i < bound; i += lanes) {
      IntVector bits = halfBits(widen(src, srcOffset + i));
      // BFloat16.fromFloat lane by lane: round to nearest even, NaN kept a quiet NaN. The shifts
      // are arithmetic so that every lane fits a short: C2's I2S may saturate, not truncate.
      IntVector lsb = bits.lanewise(VectorOperators.LSHR, 16).and(1);
      IntVector rounded = bits.add(0x7fff).add(lsb).lanewise(VectorOperators.ASHR, 16);
      VectorMask<Integer> nan = bits.and(0x7fffffff).compare(VectorOperators.GT, 0x7f800000);
      IntVector quiet = bits.lanewise(VectorOperators.ASHR, 16).or(0x40);
      ShortVector out =
          (ShortVector) rounded.blend(quiet, nan).convertShape(VectorOperators.I2S, SHORTS, 0);
      out.intoArray(dst, dstOffset + i);
    }
    DecodeKernel.SCALAR.halfToBf16(src, srcOffset + i, dst, dstOffset + i, count - i);
  }

  /** {@link #INTS}-many halves at {@code offset}, each in the low 16 bits of an int lane. */
  private static IntVector widen(short[] src, int offset) {
    return (IntVector)
        ShortVector.fromArray(SHORTS, src, offset).convertShape(VectorOperators.S2I, INTS, 0);
  }

  /** The f32 bits of each lane's half (sign-extended or not: only the low 16 bits are read). */
  private static IntVector halfBits(IntVector half) {
    IntVector sign = half.and(0x8000).lanewise(VectorOperators.LSHL, 16);
    IntVector magnitude = half.and(0x7fff);
    IntVector exponent = magnitude.lanewise(VectorOperators.LSHR, 10);
    IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
    IntVector normal = shifted.add(REBIAS);
    // Infinity and NaN: exponent 31 + 112 must become 255, the payload kept.
    IntVector special = normal.add(REBIAS);
    // Subnormals and zero: 2^-14 · (1 + m/1024) − 2^-14 = m · 2^-24, exact (Sterbenz).
    IntVector subnormal =
        shifted.add(EXPONENT_113).reinterpretAsFloats().sub(0x1p-14f).reinterpretAsInts();
    IntVector value =
        normal
            .blend(special, exponent.compare(VectorOperators.EQ, 31))
            .blend(subnormal, exponent.compare(VectorOperators.EQ, 0));
    return value.or(sign);
  }
}
