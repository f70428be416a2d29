package dev.sparkmoe.core.nn;

/**
 * Root-mean-square normalization as Hugging Face computes it, in f32: {@code w * x / sqrt(mean(x²)
 * + eps)}.
 */
public final class RmsNorm {
  private RmsNorm() {}

  /** Normalizes {@code numRows} rows of width {@code width} from {@code x} into {@code out}. */
  public static void apply(
      float[] x, int numRows, int width, float[] weight, float eps, float[] out) {
    for (int row = 0; row < numRows; row++) {
      int base = row * width;
      double sumSquares = 0;
      for (int i = 0; i < width; i++) {
        float v = x[base + i];
        sumSquares += v * v;
      }
      float scale = (float) (1.0 / Math.sqrt((float) (sumSquares / width) + eps));
      for (int i = 0; i < width; i++) {
        out[base + i] = weight[i] * (x[base + i] * scale);
      }
    }
  }
}
