package dev.sparkmoe.core.nn;

/**
 * Rotary position embedding with the rotate-half convention of Hugging Face Llama/Mixtral: the
 * first and second halves of a head are the two coordinates of each rotated pair. Angles are
 * computed in f32 the way {@code transformers} does; a position's angles do not depend on how many
 * positions the table holds, so the table grows on demand (doubling) and one instance serves every
 * call of a model. Thread-safe: a grown table replaces the old one whole.
 */
public final class Rope {
  private final int headDim;
  private final double theta;
  private volatile Table table;

  /**
   * Angles of positions {@code [0, numPositions)}, {@code cos} and {@code sin} [position, half].
   */
  private record Table(int numPositions, float[] cos, float[] sin) {}

  /** An empty table, grown by the first call. */
  public Rope(int headDim, double theta) {
    this(headDim, 0, theta);
  }

  /** Precomputes the angles for positions {@code [0, numPositions)}; later calls may grow it. */
  public Rope(int headDim, int numPositions, double theta) {
    this.headDim = headDim;
    this.theta = theta;
    this.table = table(headDim, numPositions, theta);
  }

  /** Positions the table holds now. */
  public int numPositions() {
    return table.numPositions();
  }

  /**
   * Rotates, in place, {@code numHeads} heads of each of {@code numTokens} rows of {@code x} (row
   * stride {@code rowStride}, starting at {@code offset}); token {@code t} is at position {@code
   * t}.
   */
  public void apply(float[] x, int offset, int rowStride, int numTokens, int numHeads) {
    apply(x, offset, rowStride, numTokens, numHeads, /* firstPosition= */ 0);
  }

  /**
   * As {@link #apply(float[], int, int, int, int)} with token {@code t} at position {@code
   * firstPosition + t}: the new tokens of a sequence whose earlier ones are cached.
   */
  public void apply(
      float[] x, int offset, int rowStride, int numTokens, int numHeads, int firstPosition) {
    Table angles = covering(firstPosition + numTokens);
    int half = headDim / 2;
    for (int t = 0; t < numTokens; t++) {
      int at = (firstPosition + t) * half;
      for (int h = 0; h < numHeads; h++) {
        int base = offset + t * rowStride + h * headDim;
        for (int i = 0; i < half; i++) {
          float x1 = x[base + i];
          float x2 = x[base + half + i];
          float c = angles.cos()[at + i];
          float s = angles.sin()[at + i];
          x[base + i] = x1 * c - x2 * s;
          x[base + half + i] = x2 * c + x1 * s;
        }
      }
    }
  }

  private Table covering(int positions) {
    Table current = table;
    if (current.numPositions() >= positions) {
      return current;
    }
    synchronized (this) {
      if (table.numPositions() < positions) {
        table = table(headDim, Math.max(positions, 2 * table.numPositions()), theta);
      }
      return table;
    }
  }

  private static Table table(int headDim, int numPositions, double theta) {
    int half = headDim / 2;
    float[] cos = new float[numPositions * half];
    float[] sin = new float[numPositions * half];
    for (int i = 0; i < half; i++) {
      float inverseFrequency = 1f / (float) Math.pow(theta, (float) (2 * i) / headDim);
      for (int position = 0; position < numPositions; position++) {
        float angle = position * inverseFrequency;
        cos[position * half + i] = (float) Math.cos(angle);
        sin[position * half + i] = (float) Math.sin(angle);
      }
    }
    return new Table(numPositions, cos, sin);
  }
}
