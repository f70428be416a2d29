package dev.sparkmoe.benchmarks;

import java.util.SplittableRandom;

/** Fresh random inputs for benchmarks: never zeros, which some kernels could short-cut. */
final class RandomArrays {
  private RandomArrays() {}

  /** {@code size} values uniform in [-scale, scale), deterministic for a seed. */
  static float[] uniform(int size, float scale, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] values = new float[size];
    for (int i = 0; i < size; i++) {
      values[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
    }
    return values;
  }
}
