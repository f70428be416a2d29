package dev.sparkmoe.core.generate;

import java.nio.charset.StandardCharsets;

/**
 * Counter-based pseudo-random numbers: the value at index i depends only on (stream, i), so
 * generated tensors and token tables are the same however they are chunked or partitioned.
 * SplitMix64 finalizer.
 */
final class CounterRandom {
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private CounterRandom() {}

  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** A stream id from a seed and a name (a tensor name, a table name). */
  static long stream(long seed, String name) {
    long h = 0xCBF29CE484222325L;
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x100000001B3L;
    }
    return mix(seed * GOLDEN ^ h);
  }

  static long bits(long stream, long index) {
    return mix(stream + (index + 1) * GOLDEN);
  }

  /** Uniform in [-1, 1). */
  static float symmetric(long stream, long index) {
    return ((bits(stream, index) >>> 40) * 0x1.0p-24f) * 2f - 1f;
  }

  /** Uniform in [0, 1), 53 bits. */
  static double unit(long stream, long index) {
    return (bits(stream, index) >>> 11) * 0x1.0p-53;
  }

  /** Uniform integer in [0, bound). */
  static int below(long stream, long index, int bound) {
    return (int) (((bits(stream, index) >>> 32) * bound) >>> 32);
  }
}
