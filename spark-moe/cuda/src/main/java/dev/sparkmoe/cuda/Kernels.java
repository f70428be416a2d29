package dev.sparkmoe.cuda;

import dev.sparkmoe.core.routing.TopKNormalization;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;

/**
 * The kernels of native/ loaded into one context, with typed launchers that check sizes and choose
 * grids. Every launch is asynchronous on the given stream; pointers are device addresses of the
 * sizes each method states, in elements.
 *
 * <p>Load and launch with the context current. Thread-safe for launches (the driver is); {@link
 * #close()} once no launch is in flight.
 */
public final class Kernels implements AutoCloseable {
  /** Every entry point of native/src/moe_kernels.cu. */
  public static final List<String> NAMES =
      List.of(
          "moe_gemm_f16_128x128",
          "moe_gemm_f16_64x64",
          "moe_gemm_bf16_128x128",
          "moe_gemm_bf16_64x64",
          "moe_convert_f16",
          "moe_convert_bf16",
          "moe_swiglu_f16",
          "moe_swiglu_bf16",
          "moe_gather_rows_f16",
          "moe_gather_rows_bf16",
          "moe_scatter_add_weighted",
          "moe_rmsnorm",
          "moe_router_softmax_topk");

  /** The router keeps 8 probabilities per lane of a warp (norm_router.cuh). */
  public static final int MAX_ROUTER_EXPERTS = 256;

  private static final int ELEMENTWISE_THREADS = 256;
  private static final int ROWS_THREADS = 256;

  private final CUmodule module;
  private final Map<String, CUfunction> functions;
  private final int multiprocessors;
  private boolean closed;

  private Kernels(CUmodule module, Map<String, CUfunction> functions, int multiprocessors) {
    this.module = module;
    this.functions = functions;
    this.multiprocessors = multiprocessors;
  }

  /**
   * Loads the packaged fatbin into {@code context}, which must be current.
   *
   * @throws IllegalStateException if the jar has no fatbin, or the driver cannot load it for this
   *     GPU (the message names the GPU and the fatbin's targets)
   */
  public static Kernels load(CudaContext context) {
    byte[] image =
        KernelImage.bytes()
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "Cannot load the CUDA kernels: "
                            + KernelImage.missingReason().orElse("no fatbin")));
    CUmodule module;
    try {
      module = CudaDriver.loadModule(image);
    } catch (CudaException e) {
      throw new IllegalStateException(
          String.format(
              "Cannot load the CUDA kernels on %s: %s (the fatbin holds %s)",
              context.description(), CudaAvailability.statusName(e), targets(image)),
          e);
    }
    Map<String, CUfunction> functions = new LinkedHashMap<>();
    for (String name : NAMES) {
      functions.put(name, CudaDriver.function(module, name));
    }
    for (GemmTile tile : GemmTile.values()) {
      for (TensorDtype dtype : TensorDtype.values()) {
        String name = tile.kernelName(dtype);
        CudaDriver.setMaxDynamicSharedMemory(functions.get(name), name, tile.sharedBytes());
      }
    }
    return new Kernels(module, functions, context.multiprocessors());
  }

  private static String targets(byte[] image) {
    try {
      return Fatbin.entries(image).stream()
          .map(Fatbin.Entry::target)
          .collect(Collectors.joining(", "));
    } catch (IllegalArgumentException e) {
      return "targets that could not be read: " + e.getMessage();
    }
  }

  /**
   * {@code c[m, n] = a[m, k] · b[n, k]ᵀ}: {@code a} and {@code b} in {@code dtype}, row-major with
   * k contiguous; {@code c} f32, row-major. The tile is chosen for the GPU ({@link
   * GemmTile#choose}).
   */
  public void gemm(
      TensorDtype dtype,
      CUdeviceptr a,
      CUdeviceptr b,
      CUdeviceptr c,
      int m,
      int n,
      int k,
      CudaStream stream) {
    gemm(GemmTile.choose(m, n, multiprocessors), dtype, a, b, c, m, n, k, stream);
  }

  /**
   * {@link #gemm(TensorDtype, CUdeviceptr, CUdeviceptr, CUdeviceptr, int, int, int, CudaStream)}
   * with a given tile.
   */
  public void gemm(
      GemmTile tile,
      TensorDtype dtype,
      CUdeviceptr a,
      CUdeviceptr b,
      CUdeviceptr c,
      int m,
      int n,
      int k,
      CudaStream stream) {
    checkCount("GEMM rows m", m);
    checkPositive("GEMM columns n", n);
    checkPositive("GEMM depth k", k);
    if (m == 0) {
      return;
    }
    String name = tile.kernelName(dtype);
    launch(
        name,
        GemmTile.ceilDiv(m, tile.rows()),
        GemmTile.ceilDiv(n, tile.columns()),
        tile.threads(),
        tile.sharedBytes(),
        stream,
        Pointer.to(a),
        Pointer.to(b),
        Pointer.to(c),
        ints(m),
        ints(n),
        ints(k));
  }

  /** {@code out[count]} ({@code dtype}) = {@code in[count]} (f32), rounded to nearest even. */
  public void convert(
      TensorDtype dtype, CUdeviceptr in, long count, CUdeviceptr out, CudaStream stream) {
    checkCount("element count", count);
    if (count == 0) {
      return;
    }
    launchElementwise(
        "moe_convert_" + dtype.label(),
        count,
        stream,
        Pointer.to(in),
        Pointer.to(new long[] {count}),
        Pointer.to(out));
  }

  /**
   * {@code out[rows, ffn]} ({@code dtype}) = {@code silu(gate) * up} of {@code gateUp[rows, 2·ffn]}
   * (f32; gate columns first, then up).
   */
  public void swiglu(
      TensorDtype dtype,
      CUdeviceptr gateUp,
      int rows,
      int ffn,
      CUdeviceptr out,
      CudaStream stream) {
    checkCount("SwiGLU rows", rows);
    checkPositive("SwiGLU width ffn", ffn);
    if (rows == 0) {
      return;
    }
    launchElementwise(
        "moe_swiglu_" + dtype.label(),
        (long) rows * ffn,
        stream,
        Pointer.to(gateUp),
        ints(rows),
        ints(ffn),
        Pointer.to(out));
  }

  /**
   * {@code dst[i, :]} ({@code dtype}) = {@code src[rows[i], :]} (f32) for {@code i < n}; {@code
   * rows} is int32 {@code [n]}, rows of width {@code hidden}.
   */
  public void gatherRows(
      TensorDtype dtype,
      CUdeviceptr src,
      CUdeviceptr rows,
      int n,
      int hidden,
      CUdeviceptr dst,
      CudaStream stream) {
    checkCount("gathered rows", n);
    checkPositive("hidden size", hidden);
    if (n == 0) {
      return;
    }
    launchElementwise(
        "moe_gather_rows_" + dtype.label(),
        (long) n * hidden,
        stream,
        Pointer.to(src),
        Pointer.to(rows),
        ints(n),
        ints(hidden),
        Pointer.to(dst));
  }

  /**
   * {@code dst[rows[i], :] += weights[i] * src[i, :]} (all f32) for {@code i < n}. The rows must be
   * distinct; launches on one stream apply in order, so adding experts in ascending id sums each
   * token's outputs in a fixed order.
   */
  public void scatterAddWeighted(
      CUdeviceptr src,
      CUdeviceptr rows,
      CUdeviceptr weights,
      int n,
      int hidden,
      CUdeviceptr dst,
      CudaStream stream) {
    checkCount("scattered rows", n);
    checkPositive("hidden size", hidden);
    if (n == 0) {
      return;
    }
    launchElementwise(
        "moe_scatter_add_weighted",
        (long) n * hidden,
        stream,
        Pointer.to(src),
        Pointer.to(rows),
        Pointer.to(weights),
        ints(n),
        ints(hidden),
        Pointer.to(dst));
  }

  /** RMSNorm of {@code x[rows, hidden]} with {@code weight[hidden]} into {@code out} (all f32). */
  public void rmsnorm(
      CUdeviceptr x,
      CUdeviceptr weight,
      int rows,
      int hidden,
      float eps,
      CUdeviceptr out,
      CudaStream stream) {
    checkCount("RMSNorm rows", rows);
    checkPositive("hidden size", hidden);
    if (rows == 0) {
      return;
    }
    launch(
        "moe_rmsnorm",
        rows,
        1,
        ROWS_THREADS,
        0,
        stream,
        Pointer.to(x),
        Pointer.to(weight),
        ints(rows),
        ints(hidden),
        Pointer.to(new float[] {eps}),
        Pointer.to(out));
  }

  /**
   * Softmax over {@code logits[tokens, experts]} (f32), then the top {@code k} per token, best
   * first (ties to the lower expert): expert ids into {@code outExperts[tokens, k]} (int32) and
   * probabilities into {@code outWeights[tokens, k]}, divided by their sum with {@link
   * TopKNormalization#RENORMALIZE}.
   */
  @SuppressWarnings("TooManyParameters") // the kernel's arguments
  public void routerSoftmaxTopK(
      CUdeviceptr logits,
      int tokens,
      int experts,
      int k,
      TopKNormalization normalization,
      CUdeviceptr outExperts,
      CUdeviceptr outWeights,
      CudaStream stream) {
    checkCount("router tokens", tokens);
    if (experts < 1 || experts > MAX_ROUTER_EXPERTS) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid router experts: %d (expected: 1 <= experts <= %d)",
              experts, MAX_ROUTER_EXPERTS));
    }
    if (k < 1 || k > experts) {
      throw new IllegalArgumentException(
          String.format("Invalid router top-k: %d (expected: 1 <= k <= %d)", k, experts));
    }
    if (tokens == 0) {
      return;
    }
    int warpsPerBlock = ROWS_THREADS / 32;
    launch(
        "moe_router_softmax_topk",
        GemmTile.ceilDiv(tokens, warpsPerBlock),
        1,
        ROWS_THREADS,
        0,
        stream,
        Pointer.to(logits),
        ints(tokens),
        ints(experts),
        ints(k),
        ints(normalization == TopKNormalization.RENORMALIZE ? 1 : 0),
        Pointer.to(outExperts),
        Pointer.to(outWeights));
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      CudaDriver.unloadModule(module);
    }
  }

  private void launchElementwise(String name, long count, CudaStream stream, Pointer... args) {
    long blocks = (count + ELEMENTWISE_THREADS - 1) / ELEMENTWISE_THREADS;
    // Grid-stride loops: a few waves of blocks per multiprocessor cover any count.
    int grid = (int) Math.min(blocks, 32L * multiprocessors);
    launch(name, grid, 1, ELEMENTWISE_THREADS, 0, stream, args);
  }

  private void launch(
      String name,
      int gridX,
      int gridY,
      int threads,
      int sharedBytes,
      CudaStream stream,
      Pointer... args) {
    CUfunction function = functions.get(name);
    CudaDriver.launch(function, name, gridX, gridY, threads, sharedBytes, stream, Pointer.to(args));
  }

  private static Pointer ints(int value) {
    return Pointer.to(new int[] {value});
  }

  private static void checkCount(String what, long value) {
    if (value < 0) {
      throw new IllegalArgumentException(
          String.format("Invalid %s: %d (expected: >= 0)", what, value));
    }
  }

  private static void checkPositive(String what, long value) {
    if (value < 1) {
      throw new IllegalArgumentException(
          String.format("Invalid %s: %d (expected: >= 1)", what, value));
    }
  }
}
