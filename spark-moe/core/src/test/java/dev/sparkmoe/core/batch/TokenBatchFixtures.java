package dev.sparkmoe.core.batch;

import dev.sparkmoe.core.safetensors.BFloat16;
import dev.sparkmoe.core.safetensors.Float16;
import java.util.Random;

/** Random token batches and the values a dtype rounds them to. */
final class TokenBatchFixtures {
  private TokenBatchFixtures() {}

  static DispatchBatch dispatch(Random random, int numTokens, int hidden) {
    return new DispatchBatch(
        random.nextInt(64),
        random.nextInt(1024),
        hidden,
        random.longs(numTokens).toArray(),
        random.ints(numTokens, 0, 32768).toArray(),
        random.ints(numTokens, 0, 256).toArray(),
        floats(random, numTokens, 1),
        floats(random, numTokens * hidden, 4));
  }

  static CombineBatch combine(Random random, int numTokens, int hidden) {
    return new CombineBatch(
        random.nextInt(64),
        random.nextInt(1024),
        hidden,
        random.longs(numTokens).toArray(),
        random.ints(numTokens, 0, 32768).toArray(),
        random.ints(numTokens, 0, 256).toArray(),
        floats(random, numTokens * hidden, 4));
  }

  /** Normal values with standard deviation {@code scale}, never zero. */
  static float[] floats(Random random, int length, double scale) {
    float[] values = new float[length];
    for (int i = 0; i < length; i++) {
      values[i] = (float) (random.nextGaussian() * scale) + Float.MIN_NORMAL;
    }
    return values;
  }

  /** What {@code values} become after a trip through {@code dtype}. */
  static float[] rounded(float[] values, ActivationDtype dtype) {
    float[] rounded = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      rounded[i] =
          switch (dtype) {
            case F32 -> values[i];
            case F16 -> Float16.toFloat(Float16.fromFloat(values[i]));
            case BF16 -> BFloat16.toFloat(BFloat16.fromFloat(values[i]));
          };
    }
    return rounded;
  }
}
