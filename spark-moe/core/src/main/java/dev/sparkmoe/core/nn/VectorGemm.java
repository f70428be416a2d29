package dev.sparkmoe.core.nn;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A pure-Java GEMM on the JDK Vector API, used when no native BLAS loads: about twice netlib's own
 * Vector API fallback ({@code VectorBLAS}) and about 80% of OpenBLAS on one AVX2/AVX-512 core (see
 * benchmarks/RESULTS.md). Load only when {@link VectorApi#isPresent()}.
 *
 * <p>The classic register-blocked scheme: {@code b} is packed, per panel of {@link #PANEL} output
 * columns, into a [k, PANEL] block (zero-padded), and a micro-kernel keeps a 4 × PANEL tile of
 * {@code c} in twelve vector registers while it walks k, broadcasting one element of {@code a} per
 * row and step. Each output element is a sum in f32 in ascending k, as a plain loop would add.
 *
 * <p>The micro-kernels write their vectors straight into arrays: handing a vector to a method that
 * is not inlined makes C2 box it, and boxes in the loop cost more than the arithmetic. Thread-safe;
 * each call allocates its own panel ({@code 4·k·PANEL} bytes).
 */
final class VectorGemm implements Sgemm {
  static final VectorGemm INSTANCE = new VectorGemm();

  /**
   * At most 256 bits: on AMD Zen 4 (512-bit operations run as two halves) the 512-bit variant of
   * this kernel measured at half the rate of the 256-bit one.
   */
  private static final VectorSpecies<Float> SPECIES =
      FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256
          ? FloatVector.SPECIES_256
          : FloatVector.SPECIES_PREFERRED;

  private static final int LANES = SPECIES.length();

  /** Output columns per packed panel: three vectors. */
  static final int PANEL = 3 * LANES;

  /** Output rows per micro-kernel call. */
  private static final int ROWS = 4;

  private VectorGemm() {}

  /** Fills columns [0, width) of a zero-padded [k, PANEL] panel from {@code b}. */
  @FunctionalInterface
  private interface Packer {
    void pack(int firstColumn, int width, float[] panel);
  }

  @Override
  public String name() {
    return VectorGemm.class.getName() + " (Java Vector API, " + SPECIES.vectorBitSize() + "-bit)";
  }

  @Override
  public void multiplyTransposed(
      float[] a,
      int aOffset,
      int lda,
      int n,
      int k,
      float[] b,
      int bOffset,
      int ldb,
      int m,
      float[] c,
      int cOffset,
      int ldc) {
    Packer packer =
        (first, width, panel) -> {
          for (int j = 0; j < width; j++) {
            int src = bOffset + (first + j) * ldb;
            for (int p = 0; p < k; p++) {
              panel[p * PANEL + j] = b[src + p];
            }
          }
        };
    run(a, aOffset, lda, n, k, packer, m, c, cOffset, ldc);
  }

  @Override
  public void multiply(
      float[] a,
      int aOffset,
      int lda,
      int n,
      int k,
      float[] b,
      int bOffset,
      int ldb,
      int m,
      float[] c,
      int cOffset,
      int ldc) {
    Packer packer =
        (first, width, panel) -> {
          for (int p = 0; p < k; p++) {
            System.arraycopy(b, bOffset + p * ldb + first, panel, p * PANEL, width);
          }
        };
    run(a, aOffset, lda, n, k, packer, m, c, cOffset, ldc);
  }

  private static void run(
      float[] a,
      int aOffset,
      int lda,
      int n,
      int k,
      Packer b,
      int m,
      float[] c,
      int cOffset,
      int ldc) {
    float[] panel = new float[k * PANEL];
    float[] tile = new float[ROWS * PANEL];
    for (int first = 0; first < m; first += PANEL) {
      int width = Math.min(PANEL, m - first);
      if (width < PANEL) {
        Arrays.fill(panel, 0f);
      }
      b.pack(first, width, panel);
      int row = 0;
      for (; row + ROWS <= n; row += ROWS) {
        int out = cOffset + row * ldc + first;
        tile4(a, aOffset + row * lda, lda, k, panel, c, out, ldc, width, tile);
      }
      for (; row < n; row++) {
        tile1(a, aOffset + row * lda, k, panel, c, cOffset + row * ldc + first, width, tile);
      }
    }
  }

  /** Four rows of {@code c} times one panel; a partial panel goes through {@code tile}. */
  private static void tile4(
      float[] a,
      int a0,
      int lda,
      int k,
      float[] panel,
      float[] c,
      int c0,
      int ldc,
      int width,
      float[] tile) {
    FloatVector zero = FloatVector.zero(SPECIES);
    FloatVector c00 = zero, c01 = zero, c02 = zero, c10 = zero, c11 = zero, c12 = zero;
    FloatVector c20 = zero, c21 = zero, c22 = zero, c30 = zero, c31 = zero, c32 = zero;
    int a1 = a0 + lda;
    int a2 = a1 + lda;
    int a3 = a2 + lda;
    for (int p = 0, q = 0; p < k; p++, q += PANEL) {
      FloatVector b0 = FloatVector.fromArray(SPECIES, panel, q);
      FloatVector b1 = FloatVector.fromArray(SPECIES, panel, q + LANES);
      FloatVector b2 = FloatVector.fromArray(SPECIES, panel, q + 2 * LANES);
      FloatVector x = FloatVector.broadcast(SPECIES, a[a0 + p]);
      c00 = b0.fma(x, c00);
      c01 = b1.fma(x, c01);
      c02 = b2.fma(x, c02);
      x = FloatVector.broadcast(SPECIES, a[a1 + p]);
      c10 = b0.fma(x, c10);
      c11 = b1.fma(x, c11);
      c12 = b2.fma(x, c12);
      x = FloatVector.broadcast(SPECIES, a[a2 + p]);
      c20 = b0.fma(x, c20);
      c21 = b1.fma(x, c21);
      c22 = b2.fma(x, c22);
      x = FloatVector.broadcast(SPECIES, a[a3 + p]);
      c30 = b0.fma(x, c30);
      c31 = b1.fma(x, c31);
      c32 = b2.fma(x, c32);
    }
    boolean full = width == PANEL;
    float[] dst = full ? c : tile;
    int o = full ? c0 : 0;
    int ld = full ? ldc : PANEL;
    c00.intoArray(dst, o);
    c01.intoArray(dst, o + LANES);
    c02.intoArray(dst, o + 2 * LANES);
    c10.intoArray(dst, o + ld);
    c11.intoArray(dst, o + ld + LANES);
    c12.intoArray(dst, o + ld + 2 * LANES);
    c20.intoArray(dst, o + 2 * ld);
    c21.intoArray(dst, o + 2 * ld + LANES);
    c22.intoArray(dst, o + 2 * ld + 2 * LANES);
    c30.intoArray(dst, o + 3 * ld);
    c31.intoArray(dst, o + 3 * ld + LANES);
    c32.intoArray(dst, o + 3 * ld + 2 * LANES);
    if (!full) {
      for (int r = 0; r < ROWS; r++) {
        System.arraycopy(tile, r * PANEL, c, c0 + r * ldc, width);
      }
    }
  }

  /** One row of {@code c} times one panel: the rows left over after the four-row tiles. */
  private static void tile1(
      float[] a, int a0, int k, float[] panel, float[] c, int c0, int width, float[] tile) {
    FloatVector c00 = FloatVector.zero(SPECIES);
    FloatVector c01 = c00;
    FloatVector c02 = c00;
    for (int p = 0, q = 0; p < k; p++, q += PANEL) {
      FloatVector x = FloatVector.broadcast(SPECIES, a[a0 + p]);
      c00 = FloatVector.fromArray(SPECIES, panel, q).fma(x, c00);
      c01 = FloatVector.fromArray(SPECIES, panel, q + LANES).fma(x, c01);
      c02 = FloatVector.fromArray(SPECIES, panel, q + 2 * LANES).fma(x, c02);
    }
    c00.intoArray(tile, 0);
    c01.intoArray(tile, LANES);
    c02.intoArray(tile, 2 * LANES);
    System.arraycopy(tile, 0, c, c0, width);
  }
}
