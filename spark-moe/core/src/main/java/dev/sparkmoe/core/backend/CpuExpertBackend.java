package dev.sparkmoe.core.backend;

import dev.sparkmoe.core.model.ExpertWeights;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.nn.Bf16ExpertFfn;
import dev.sparkmoe.core.nn.Bf16Gemm;
import dev.sparkmoe.core.nn.ComputeDtype;
import dev.sparkmoe.core.nn.Gemm;
import dev.sparkmoe.core.nn.RowBlockGemm;
import dev.sparkmoe.core.nn.SwiGluKernel;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Experts on the CPU as two GEMMs per batch through BLAS ({@link Gemm}): the gate and up
 * projections fused into one product of width 2·ffn, SwiGLU in place (Vector API where present),
 * then the down projection, which reads the activations at row stride 2·ffn.
 *
 * <p>Large batches run in chunks of rows whose gate|up block fits a scratch buffer of {@value
 * #SCRATCH_FLOATS} floats (64 MB; 2978 rows at ffn 2816, 585 at Mixtral-8x7B's 14336), and at least
 * {@value #MIN_CHUNK_TOKENS} rows: the GEMM rate grows with the rows per call (at ffn 2816: 91
 * GFLOP/s at 256 rows, 96 at 512, 100 at 2048 on one Zen 4 core), so chunks are as large as memory
 * allows. Each calling thread keeps its scratch buffer for its lifetime, so the hot path allocates
 * nothing: in Spark that is one buffer per task thread.
 *
 * <p>Within a chunk, both products run through {@link RowBlockGemm} (chunks are a multiple of its
 * block), so a token's output bits depend only on the token and the expert, not on which other
 * tokens share its batch: the pipeline gives the same bits for any partitioning.
 *
 * <p>Weights stay the f32 arrays the model decoded (F16/BF16 checkpoints are decoded once, when an
 * expert is made resident); the caller keeps residents for the life of the executor (the forward
 * and {@code LoadedModel} do), so weights are decoded once per executor, not per batch.
 *
 * <p>Compute dtype {@link ComputeDtype#BF16} (opt-in; {@link ComputeDtype#F32} is the default and
 * stays exact as above): experts are held in bf16 in native memory (half the bytes; from a BF16
 * checkpoint through {@link #upload(MoeModel, int, int)} with no decode at all) and computed by
 * {@link Bf16ExpertFfn}: both products in bf16 with f32 accumulation through oneDNN, SwiGLU in f32.
 * Relative error against f32 about 4·10⁻³ at hidden 1024, FFN 2816 ({@code
 * CpuExpertBackendBf16Test}). Results then may depend on the batch a token shares (oneDNN's
 * blocking follows the row count), which the f32 path guarantees against.
 *
 * <p>Threads: one BLAS thread per Spark task slot ({@code OPENBLAS_NUM_THREADS=1}); the slots are
 * the parallelism. Thread-safe: {@link #compute} shares nothing between threads but the weights,
 * which it only reads.
 */
public final class CpuExpertBackend implements ExpertBackend {
  public static final String NAME = "cpu";

  /**
   * Floats of scratch per thread at most, unless one chunk of {@link #MIN_CHUNK_TOKENS} needs more.
   */
  static final int SCRATCH_FLOATS = 16 << 20;

  /** Rows per chunk at least, whatever the FFN width. */
  static final int MIN_CHUNK_TOKENS = 256;

  /** Chunk rows chosen from the FFN width at each call. */
  private static final int AUTO = 0;

  private static final ThreadLocal<float[]> SCRATCH = new ThreadLocal<>();

  private final SwiGluKernel swiGlu;
  private final int chunkTokens;
  private final ComputeDtype dtype;
  private final List<Bf16CpuExpert> bf16Residents = new ArrayList<>();

  /** The CPU backend with the best SwiGLU kernel this JVM has, in f32. */
  public CpuExpertBackend() {
    this(SwiGluKernel.best());
  }

  /**
   * The CPU backend computing in {@code dtype}, with the best SwiGLU kernel this JVM has.
   *
   * @throws IllegalArgumentException for {@link ComputeDtype#BF16} where the CPU has no bf16
   *     instructions or oneDNN does not load (the message names the CPU flags found and the fix)
   */
  public CpuExpertBackend(ComputeDtype dtype) {
    this(SwiGluKernel.best(), AUTO, dtype);
  }

  /**
   * The CPU backend with a given SwiGLU kernel (benchmarks compare them).
   *
   * @throws IllegalArgumentException if the kernel cannot run in this JVM
   */
  public CpuExpertBackend(SwiGluKernel swiGlu) {
    this(swiGlu, AUTO);
  }

  /** For tests: a given SwiGLU kernel and chunk size ({@code 0}: from the FFN width). */
  CpuExpertBackend(SwiGluKernel swiGlu, int chunkTokens) {
    this(swiGlu, chunkTokens, ComputeDtype.F32);
  }

  private CpuExpertBackend(SwiGluKernel swiGlu, int chunkTokens, ComputeDtype dtype) {
    if (!swiGlu.isAvailable()) {
      throw new IllegalArgumentException(
          String.format("Invalid SwiGLU kernel: %s (expected: one available in this JVM)", swiGlu));
    }
    if (chunkTokens < 0) {
      throw new IllegalArgumentException(
          String.format("Invalid chunk tokens: %d (expected: 0 or more)", chunkTokens));
    }
    Optional<String> bf16Missing =
        dtype == ComputeDtype.BF16 ? Bf16Gemm.unavailableReason() : Optional.empty();
    if (bf16Missing.isPresent()) {
      throw new IllegalArgumentException(
          "Cannot use backend cpu with compute dtype bf16: " + bf16Missing.get());
    }
    this.swiGlu = swiGlu;
    this.chunkTokens = chunkTokens;
    this.dtype = dtype;
  }

  /** The dtype this backend computes in. */
  public ComputeDtype dtype() {
    return dtype;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "cpu ("
        + (dtype == ComputeDtype.BF16
            ? "bf16 " + Bf16Gemm.implementation()
            : "BLAS " + Gemm.description())
        + ", SwiGLU "
        + swiGlu.name().toLowerCase(java.util.Locale.ROOT)
        + ")";
  }

  @Override
  public ResidentExpert upload(ExpertWeights weights) {
    return dtype == ComputeDtype.BF16 ? own(Bf16CpuExpert.of(weights)) : new CpuExpert(weights);
  }

  @Override
  public ResidentExpert upload(MoeModel model, int layer, int expert) {
    return dtype == ComputeDtype.BF16
        ? own(Bf16CpuExpert.of(model.loadExpertBf16(layer, expert)))
        : upload(model.loadExpert(layer, expert));
  }

  private synchronized Bf16CpuExpert own(Bf16CpuExpert expert) {
    bf16Residents.add(expert);
    return expert;
  }

  @Override
  public void compute(ResidentExpert expert, float[] input, int numTokens, float[] output) {
    if (expert instanceof Bf16CpuExpert bf16) {
      Bf16ExpertFfn.apply(bf16.gateUp(), bf16.down(), swiGlu, input, numTokens, output);
      return;
    }
    ExpertWeights w = ((CpuExpert) expert).weights();
    int hidden = w.hidden();
    int width = 2 * w.ffn();
    int chunk = blockMultiple(chunkTokens != AUTO ? chunkTokens : chunkTokens(width));
    float[] gateUp = scratch(Math.min(numTokens, chunk) * width);
    for (int first = 0; first < numTokens; first += chunk) {
      int rows = Math.min(chunk, numTokens - first);
      int offset = first * hidden;
      RowBlockGemm.multiplyTransposed(
          input, offset, hidden, rows, hidden, w.gateUp(), 0, hidden, width, gateUp, 0, width);
      swiGlu.apply(gateUp, 0, width, rows, w.ffn(), gateUp, 0, width);
      RowBlockGemm.multiplyTransposed(
          gateUp, 0, width, rows, w.ffn(), w.down(), 0, w.ffn(), hidden, output, offset, hidden);
    }
  }

  /** {@code rows} rounded up to a whole number of GEMM row blocks. */
  private static int blockMultiple(int rows) {
    return (rows + RowBlockGemm.ROWS - 1) / RowBlockGemm.ROWS * RowBlockGemm.ROWS;
  }

  private static int chunkTokens(int width) {
    return Math.max(MIN_CHUNK_TOKENS, SCRATCH_FLOATS / width);
  }

  /** This thread's scratch buffer, grown to at least {@code size} floats; contents undefined. */
  private static float[] scratch(int size) {
    float[] buffer = SCRATCH.get();
    if (buffer == null || buffer.length < size) {
      buffer = new float[size];
      SCRATCH.set(buffer);
    }
    return buffer;
  }

  /** Frees the bf16 experts' native memory; f32 experts are the caller's arrays. */
  @Override
  public synchronized void close() {
    bf16Residents.forEach(Bf16CpuExpert::close);
    bf16Residents.clear();
  }

  private record CpuExpert(ExpertWeights weights) implements ResidentExpert {
    @Override
    public int layer() {
      return weights.layer();
    }

    @Override
    public int expert() {
      return weights.expert();
    }

    @Override
    public long sizeBytes() {
      return 4L * (weights.gateUp().length + weights.down().length);
    }
  }

  /** Registers the CPU backend; always available. */
  public static final class Provider implements ExpertBackendProvider {
    @Override
    public String name() {
      return NAME;
    }

    @Override
    public int priority() {
      return 0;
    }

    @Override
    public Optional<String> unavailableReason() {
      return Optional.empty();
    }

    @Override
    public ExpertBackend create() {
      return new CpuExpertBackend();
    }

    @Override
    public ExpertBackend create(String deviceAddress, ComputeDtype dtype) {
      return new CpuExpertBackend(dtype);
    }
  }
}
