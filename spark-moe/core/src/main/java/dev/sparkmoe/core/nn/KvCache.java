package dev.sparkmoe.core.nn;

import java.util.Arrays;

/**
 * One sequence's keys and values for every attention layer: keys after QK-norm, clamp and RoPE,
 * values after the clamp, each key/value head stored densely as [positions, headDim] so that
 * attention reads a prefix without copying. Sized up front for the positions the sequence may reach
 * ({@link #bytesFor}), and grown (doubling) if it goes past them.
 *
 * <p>Not thread-safe: one sequence, one generating thread.
 */
public final class KvCache {
  private final int numKvHeads;
  private final int headDim;
  private final float[][][] keys;
  private final float[][][] values;
  private final int[] lengths;
  private int capacity;

  /**
   * @param numLayers the model's layers (layers without attention keep nothing)
   * @param capacity positions to allocate for at once, at least 1
   */
  public KvCache(int numLayers, int numKvHeads, int headDim, int capacity) {
    this.numKvHeads = numKvHeads;
    this.headDim = headDim;
    this.capacity = Math.max(1, capacity);
    this.keys = new float[numLayers][][];
    this.values = new float[numLayers][][];
    this.lengths = new int[numLayers];
  }

  /** The bytes a sequence of {@code positions} holds over {@code attentionLayers} layers. */
  public static long bytesFor(int attentionLayers, int numKvHeads, int headDim, long positions) {
    return 2L * Float.BYTES * attentionLayers * numKvHeads * headDim * positions;
  }

  /** Positions cached for {@code layer}: the position of the next token. */
  public int length(int layer) {
    return lengths[layer];
  }

  /** Key head {@code head} of {@code layer}: [capacity, headDim], rows [0, length) valid. */
  float[] keys(int layer, int head) {
    return keys[layer][head];
  }

  /** Value head {@code head} of {@code layer}: [capacity, headDim], rows [0, length) valid. */
  float[] values(int layer, int head) {
    return values[layer][head];
  }

  /**
   * Appends {@code n} positions of {@code layer}, from rows of [n, numKvHeads * headDim] matrices.
   */
  void append(int layer, float[] k, float[] v, int n) {
    if (keys[layer] == null) {
      keys[layer] = new float[numKvHeads][capacity * headDim];
      values[layer] = new float[numKvHeads][capacity * headDim];
    }
    int at = lengths[layer];
    if (at + n > keys[layer][0].length / headDim) {
      grow(layer, Math.max(at + n, 2 * (keys[layer][0].length / headDim)));
    }
    int width = numKvHeads * headDim;
    for (int t = 0; t < n; t++) {
      for (int h = 0; h < numKvHeads; h++) {
        System.arraycopy(k, t * width + h * headDim, keys[layer][h], (at + t) * headDim, headDim);
        System.arraycopy(v, t * width + h * headDim, values[layer][h], (at + t) * headDim, headDim);
      }
    }
    lengths[layer] = at + n;
  }

  /** Bytes allocated now, over every layer. */
  public long allocatedBytes() {
    long floats = 0;
    for (float[][] layer : keys) {
      if (layer != null) {
        floats += 2L * layer.length * layer[0].length;
      }
    }
    return floats * Float.BYTES;
  }

  private void grow(int layer, int positions) {
    capacity = Math.max(capacity, positions);
    for (int h = 0; h < numKvHeads; h++) {
      keys[layer][h] = Arrays.copyOf(keys[layer][h], positions * headDim);
      values[layer][h] = Arrays.copyOf(values[layer][h], positions * headDim);
    }
  }
}
