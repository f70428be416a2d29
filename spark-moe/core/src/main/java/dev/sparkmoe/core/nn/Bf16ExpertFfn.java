package dev.sparkmoe.core.nn;

import dev.sparkmoe.core.safetensors.BFloat16;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * An expert FFN {@code down(silu(gate x) * up x)} in bf16 with f32 accumulation: the fused gate|up
 * product ({@link Bf16Gemm}'s kernel), SwiGLU in f32, its result rounded to bf16 for the down
 * product. The gate|up result never leaves native memory but for one row at a time, which SwiGLU
 * reads and the down product's bf16 source receives.
 *
 * <p>Thread-safe (per-thread workspaces; the weights are only read).
 */
public final class Bf16ExpertFfn {
  private Bf16ExpertFfn() {}

  /**
   * Writes the FFN of {@code numTokens} rows of {@code input} ([numTokens, hidden]) into {@code
   * output} ([numTokens, hidden], overwritten).
   *
   * @param gateUp [2·ffn, hidden]: the gate rows, then the up rows
   * @param down [hidden, ffn]
   * @throws IllegalArgumentException if the two matrices' shapes disagree
   */
  public static void apply(
      Bf16Matrix gateUp,
      Bf16Matrix down,
      SwiGluKernel swiGlu,
      float[] input,
      int numTokens,
      float[] output) {
    int hidden = gateUp.cols();
    int ffn = gateUp.rows() / 2;
    if (down.rows() != hidden || down.cols() != ffn || gateUp.rows() % 2 != 0) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid expert weights: gate|up [%d, %d] and down [%d, %d] (expected: [2f, h] and"
                  + " [h, f])",
              gateUp.rows(), hidden, down.rows(), down.cols()));
    }
    Bf16Workspace workspace = Bf16Workspace.current();
    float[] row = new float[2 * ffn];
    for (int first = 0; first < numTokens; first += Bf16Workspace.MAX_ROWS) {
      int rows = Math.min(Bf16Workspace.MAX_ROWS, numTokens - first);
      workspace.load(0, input, first * hidden, hidden, rows, hidden);
      FloatBuffer gated = workspace.multiply(0, rows, gateUp);
      ShortBuffer activated = workspace.source(1, rows, ffn);
      activate(gated, rows, ffn, swiGlu, row, activated);
      FloatBuffer result = workspace.multiply(1, rows, down);
      result.get(0, output, first * hidden, rows * hidden);
    }
  }

  /** SwiGLU of each row of {@code gated} ([rows, 2·ffn] f32) into {@code activated} as bf16. */
  private static void activate(
      FloatBuffer gated,
      int rows,
      int ffn,
      SwiGluKernel swiGlu,
      float[] row,
      ShortBuffer activated) {
    int width = 2 * ffn;
    short[] bits = new short[ffn];
    for (int r = 0; r < rows; r++) {
      gated.get(r * width, row, 0, width);
      swiGlu.apply(row, 0, width, 1, ffn, row, 0, width);
      for (int i = 0; i < ffn; i++) {
        bits[i] = BFloat16.fromFloat(row[i]);
      }
      activated.put(r * ffn, bits, 0, ffn);
    }
    Bf16Workspace.zeroPadding(activated, rows, ffn);
  }
}
