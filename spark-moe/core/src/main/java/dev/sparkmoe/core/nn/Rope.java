package dev.sparkmoe.core.nn;

/**
 * Rotary position embedding with the rotate-half convention of Hugging Face Llama/Mixtral: the
 * first and second halves of a head are the two coordinates of each rotated pair. Angles are
 * computed in f32 the way {@code transformers} does. Immutable and thread-safe once built.
 */
public final class Rope {
  private final int headDim;
  private final int numPositions;
  private final float[] cos;
  private final float[] sin;

  /** Precomputes the angles for positions {@code [0, numPositions)}. */
  public Rope(int headDim, int numPositions, double theta) {
    this.headDim = headDim;
    this.numPositions = numPositions;
    int half = headDim / 2;
    this.cos = new float[numPositions * half];
    this.sin = new float[numPositions * half];
    for (int i = 0; i < half; i++) {
      float inverseFrequency = 1f / (float) Math.pow(theta, (float) (2 * i) / headDim);
      for (int position = 0; position < numPositions; position++) {
        float angle = position * inverseFrequency;
        cos[position * half + i] = (float) Math.cos(angle);
        sin[position * half + i] = (float) Math.sin(angle);
      }
    }
  }

  public int numPositions() {
    return numPositions;
  }

  /**
   * Rotates, in place, {@code numHeads} heads of each of {@code numTokens} rows of {@code x} (row
   * stride {@code rowStride}, starting at {@code offset}); token {@code t} is at position {@code
   * t}.
   */
  public void apply(float[] x, int offset, int rowStride, int numTokens, int numHeads) {
    int half = headDim / 2;
    for (int t = 0; t < numTokens; t++) {
      int angles = t * half;
      for (int h = 0; h < numHeads; h++) {
        int base = offset + t * rowStride + h * headDim;
        for (int i = 0; i < half; i++) {
          float x1 = x[base + i];
          float x2 = x[base + half + i];
          float c = cos[angles + i];
          float s = sin[angles + i];
          x[base + i] = x1 * c - x2 * s;
          x[base + half + i] = x2 * c + x1 * s;
        }
      }
    }
  }
}
