package dev.sparkmoe.cuda;

/**
 * The block tiles the GEMM kernels are compiled for (native/src/gemm.cuh, moe_kernels.cu), and the
 * choice between them.
 */
public enum GemmTile {
  /** 128 x 128 per block, 8 warps of 64 x 32: for products with enough blocks to fill the GPU. */
  LARGE(128, 128, 256),
  /** 64 x 64 per block, 4 warps of 32 x 32: four times the blocks, for few tokens. */
  SMALL(64, 64, 128);

  // Mirrors GemmTile in gemm.cuh: a 3-stage pipeline of 32-wide k-tiles, rows padded by 8 elements.
  private static final int STAGES = 3;
  private static final int PADDED_K = 32 + 8;

  private final int rows;
  private final int columns;
  private final int threads;

  GemmTile(int rows, int columns, int threads) {
    this.rows = rows;
    this.columns = columns;
    this.threads = threads;
  }

  /** Rows of C per block (tokens). */
  public int rows() {
    return rows;
  }

  /** Columns of C per block (output features). */
  public int columns() {
    return columns;
  }

  public int threads() {
    return threads;
  }

  /** Dynamic shared memory per block, in bytes, for 16-bit operands. */
  public int sharedBytes() {
    return STAGES * (rows + columns) * PADDED_K * 2;
  }

  /** The kernel's name for {@code dtype}, e.g. {@code moe_gemm_bf16_128x128}. */
  public String kernelName(TensorDtype dtype) {
    return "moe_gemm_" + dtype.label() + "_" + rows + "x" + columns;
  }

  /** Blocks this tile needs for an {@code m x n} product. */
  public long blocks(int m, int n) {
    return (long) ceilDiv(m, rows) * ceilDiv(n, columns);
  }

  /**
   * {@link #LARGE} when its blocks fill every multiprocessor at least once, else {@link #SMALL}:
   * idle multiprocessors cost more than the smaller tile's extra traffic.
   */
  public static GemmTile choose(int m, int n, int multiprocessors) {
    return LARGE.blocks(m, n) >= multiprocessors ? LARGE : SMALL;
  }

  static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }
}
