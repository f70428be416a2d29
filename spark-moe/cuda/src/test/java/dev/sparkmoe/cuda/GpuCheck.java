package dev.sparkmoe.cuda;

import dev.sparkmoe.core.backend.ResidentExpert;
import dev.sparkmoe.core.model.ExpertWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * The GPU check's measuring half (native/gpu-check.sh runs it after the {@code gpu} tests): for
 * each dtype and expert shape, times the expert GEMM (gate and up fused) and the expert FFN with
 * CUDA events, median of many, on fresh random data; checks sampled rows of each against a double
 * reference, and the pipelined path against the synchronous one at the largest batch; writes {@code
 * java-results.json} into the output folder for native/check/yardstick.py, which adds the same-run
 * {@code torch.matmul} figures and prints the table, and {@code calibration.csv}: the measured
 * expert FFN times in the planner's calibration format ({@code moe plan --calibration}). Exits 1 if
 * a check failed.
 *
 * <p>Usage: {@code GpuCheck OUT_DIR [--quick]} ({@code --quick}: the small shape and 128 tokens
 * only, for a smoke run).
 */
public final class GpuCheck {
  private static final int[][] SHAPES = {{4096, 14336}, {1024, 2816}};
  private static final int[] TOKENS = {128, 1024, 8192};
  private static final int GEMM_REPEATS = 30;
  private static final int FFN_REPEATS = 15;
  private static final int END_TO_END_REPEATS = 5;
  private static final int SAMPLED_ROWS = 4;

  private final SplittableRandom random = new SplittableRandom();
  private final List<String> rows = new ArrayList<>();
  private final List<String> checks = new ArrayList<>();
  private final List<String> calibration = new ArrayList<>();
  private boolean failed;

  private GpuCheck() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 1) {
      System.err.println("usage: GpuCheck OUT_DIR [--quick]");
      System.exit(2);
    }
    boolean quick = Arrays.asList(args).contains("--quick");
    GpuCheck check = new GpuCheck();
    String device = check.run(quick);
    Path out = Path.of(args[0]);
    Files.createDirectories(out);
    Files.writeString(out.resolve("java-results.json"), check.json(device));
    Files.writeString(
        out.resolve("calibration.csv"),
        "device,kernel,dtype,tokens,hidden,ffn,seconds\n" + String.join("", check.calibration));
    System.out.printf(
        "gpu-check (java): %d timing rows, %d checks, %s%n",
        check.rows.size(), check.checks.size(), check.failed ? "SOME FAILED" : "all passed");
    System.exit(check.failed ? 1 : 0);
  }

  private String run(boolean quick) {
    CudaAvailability.reason()
        .ifPresent(
            reason -> {
              throw new IllegalStateException("Cannot run the GPU check: " + reason);
            });
    String device = null;
    for (TensorDtype dtype : List.of(TensorDtype.BF16, TensorDtype.F16)) {
      for (int[] shape : quick ? new int[][] {SHAPES[1]} : SHAPES) {
        CudaBackendOptions options = CudaBackendOptions.defaults().withDtype(dtype);
        try (CudaExpertBackend cuda = CudaExpertBackend.open(options)) {
          device = cuda.context().description();
          measureShape(cuda, dtype, shape[0], shape[1], quick ? new int[] {128} : TOKENS);
        } catch (RuntimeException e) {
          record(
              String.format("%s hidden %d ffn %d", dtype.label(), shape[0], shape[1]),
              false,
              "failed: " + e);
          e.printStackTrace();
        }
      }
    }
    return device;
  }

  private void measureShape(
      CudaExpertBackend cuda, TensorDtype dtype, int hidden, int ffn, int[] tokenCounts) {
    System.out.printf(
        "gpu-check: %s hidden %d ffn %d: generating and uploading weights%n",
        dtype.label(), hidden, ffn);
    ExpertWeights weights =
        new ExpertWeights(
            0,
            0,
            hidden,
            ffn,
            gaussian(2 * ffn * hidden, 1 / Math.sqrt(hidden)),
            gaussian(hidden * ffn, 1 / Math.sqrt(ffn)));
    ResidentExpert expert = cuda.upload(weights);
    for (int n : tokenCounts) {
      String label = String.format("%s hidden %d ffn %d tokens %d", dtype.label(), hidden, ffn, n);
      float[] x = gaussian(n * hidden, 1);
      Gemm gemm = timeGemm(cuda, dtype, expert, weights, x, n, label);
      double ffnDeviceMs = timeDeviceFfn(cuda, expert, x, n);
      Ffn ffnResult = runFfn(cuda, expert, weights, x, n, label);
      double flopsGemm = 2.0 * n * 2 * ffn * hidden;
      double flopsFfn = weights.flops(n);
      calibration.add(
          calibrationRow(cuda.context().description(), dtype, n, hidden, ffn, ffnDeviceMs));
      rows.add(
          String.format(
              Locale.ROOT,
              "{\"dtype\": \"%s\", \"hidden\": %d, \"ffn\": %d, \"tokens\": %d, \"gemm_ms\": %.5f,"
                  + " \"gemm_tflops\": %.2f, \"gemm_error\": %.3g, \"ffn_device_ms\": %.5f,"
                  + " \"ffn_device_tflops\": %.2f, \"ffn_end_to_end_ms\": %.4f,"
                  + " \"ffn_tokens_per_s\": %.0f, \"ffn_error\": %.3g}",
              dtype.label(),
              hidden,
              ffn,
              n,
              gemm.ms,
              flopsGemm / gemm.ms / 1e9,
              gemm.error,
              ffnDeviceMs,
              flopsFfn / ffnDeviceMs / 1e9,
              ffnResult.ms,
              n / (ffnResult.ms / 1e3),
              ffnResult.error));
      System.out.printf(
          Locale.ROOT,
          "gpu-check: %s: GEMM %.1f TFLOP/s, FFN %.1f TFLOP/s on device, %.2f ms end to end%n",
          label,
          flopsGemm / gemm.ms / 1e9,
          flopsFfn / ffnDeviceMs / 1e9,
          ffnResult.ms);
    }
  }

  /** One line of {@code calibration.csv} ({@code KernelCalibration}'s format), newline-ended. */
  static String calibrationRow(
      String gpu, TensorDtype dtype, int tokens, int hidden, int ffn, double ms) {
    return String.format(
        Locale.ROOT,
        "%s,expert-ffn,%s,%d,%d,%d,%.9f%n",
        plannerDevice(gpu),
        dtype.label(),
        tokens,
        hidden,
        ffn,
        ms / 1e3);
  }

  /** The cost model's device name ({@code ClusterPresets}) for a GPU, else its own name. */
  static String plannerDevice(String description) {
    String name = description.toLowerCase(Locale.ROOT);
    if (name.contains("h200")) {
      return "h200-sxm";
    }
    if (name.contains("h100")) {
      return "h100-sxm";
    }
    return name.replaceAll("[^a-z0-9]+", "-");
  }

  private record Gemm(double ms, double error) {}

  private record Ffn(double ms, double error) {}

  /** The gate_up GEMM: [n, hidden] x [2 ffn, hidden]^T, A converted on the device from f32. */
  private Gemm timeGemm(
      CudaExpertBackend cuda,
      TensorDtype dtype,
      ResidentExpert expert,
      ExpertWeights w,
      float[] x,
      int n,
      String label) {
    DeviceExpert e = (DeviceExpert) expert;
    int hidden = w.hidden();
    int columns = 2 * w.ffn();
    DeviceMemory memory = cuda.memory();
    CudaStream stream = cuda.computeStream();
    Kernels kernels = cuda.kernels();
    try (DeviceBuffer xf = memory.allocate("check x f32", 4L * x.length);
        DeviceBuffer a = memory.allocate("check A", 2L * x.length);
        DeviceBuffer c = memory.allocate("check C", 4L * n * columns);
        CudaEvent start = CudaEvent.forTiming();
        CudaEvent end = CudaEvent.forTiming()) {
      CudaDriver.copyHostToDevice(xf.pointer(), jcuda.Pointer.to(x), 4L * x.length);
      kernels.convert(dtype, xf.pointer(), x.length, a.pointer(), stream);
      CudaDriver.fill32Async(c.pointer(), FfnWorkspace.NAN_BITS, (long) n * columns, stream);
      double ms =
          median(
              GEMM_REPEATS,
              () -> {
                start.record(stream);
                kernels.gemm(
                    dtype,
                    a.pointer(),
                    e.gateUp().pointer(),
                    c.pointer(),
                    n,
                    columns,
                    hidden,
                    stream);
                end.record(stream);
                end.synchronize();
                return end.elapsedMsSince(start);
              });
      double error = gemmRowsError(dtype, w, x, n, c);
      record(
          label + ": GEMM sampled rows vs double (<= 1e-4)",
          error <= 1e-4,
          String.format(Locale.ROOT, "relative error %.3g", error));
      return new Gemm(ms, error);
    }
  }

  private double gemmRowsError(
      TensorDtype dtype, ExpertWeights w, float[] x, int n, DeviceBuffer c) {
    int hidden = w.hidden();
    int columns = 2 * w.ffn();
    double diff = 0;
    double norm = 0;
    for (int s = 0; s < SAMPLED_ROWS; s++) {
      int row = s == 0 ? n - 1 : random.nextInt(n);
      float[] actual = new float[columns];
      CudaDriver.copyDeviceToHost(jcuda.Pointer.to(actual), c.at(4L * row * columns), 4L * columns);
      double[] ref = new double[columns];
      IntStream.range(0, columns)
          .parallel()
          .forEach(
              j -> {
                double sum = 0;
                for (int p = 0; p < hidden; p++) {
                  sum +=
                      (double) dtype.round(x[row * hidden + p])
                          * dtype.round(w.gateUp()[j * hidden + p]);
                }
                ref[j] = sum;
              });
      for (int j = 0; j < columns; j++) {
        if (!Float.isFinite(actual[j])) {
          return Double.NaN;
        }
        diff += (actual[j] - ref[j]) * (actual[j] - ref[j]);
        norm += ref[j] * ref[j];
      }
    }
    return Math.sqrt(diff / norm);
  }

  /** The FFN on device-resident input, kernels only, as the backend chunks it. */
  private double timeDeviceFfn(CudaExpertBackend cuda, ResidentExpert expert, float[] x, int n) {
    CudaStream stream = cuda.computeStream();
    try (DeviceBuffer in = cuda.memory().allocate("check ffn in", 4L * x.length);
        DeviceBuffer out = cuda.memory().allocate("check ffn out", 4L * x.length);
        CudaEvent start = CudaEvent.forTiming();
        CudaEvent end = CudaEvent.forTiming()) {
      CudaDriver.copyHostToDevice(in.pointer(), jcuda.Pointer.to(x), 4L * x.length);
      return median(
          FFN_REPEATS,
          () -> {
            start.record(stream);
            cuda.enqueueFfn(expert, in.pointer(), n, out.pointer(), stream);
            end.record(stream);
            end.synchronize();
            return end.elapsedMsSince(start);
          });
    }
  }

  /**
   * {@code compute} from Java arrays to Java arrays, timed by wall clock; its sampled rows against
   * a double reference on the unrounded weights (≤ 1e-2), and, at the largest batch, bit for bit
   * against {@code computeSynchronous}.
   */
  private Ffn runFfn(
      CudaExpertBackend cuda,
      ResidentExpert expert,
      ExpertWeights w,
      float[] x,
      int n,
      String label) {
    float[] out = new float[x.length];
    cuda.reserveWorkspace(expert);
    cuda.poisonWorkspace();
    Arrays.fill(out, Float.NaN);
    cuda.compute(expert, x, n, out);
    int unwritten = GpuFixture.firstNonFinite(out, out.length);
    record(
        label + ": FFN writes every output",
        unwritten < 0,
        unwritten < 0 ? "all finite" : "element " + unwritten + " is " + out[unwritten]);
    double error = ffnRowsError(w, x, n, out);
    record(
        label + ": FFN sampled rows vs double (<= 1e-2)",
        error <= 1e-2,
        String.format(Locale.ROOT, "relative error %.3g", error));
    if (n >= 4 * cuda.options().chunkTokens()) {
      float[] sync = new float[x.length];
      cuda.poisonWorkspace();
      cuda.computeSynchronous(expert, x, n, sync);
      boolean same = Arrays.equals(out, sync);
      record(
          label + ": pipelined equals synchronous",
          same,
          same ? "bit for bit" : "differs at " + Arrays.mismatch(out, sync));
    }
    double ms =
        median(
            END_TO_END_REPEATS,
            () -> {
              long t0 = System.nanoTime();
              cuda.compute(expert, x, n, out);
              return (System.nanoTime() - t0) / 1e6;
            });
    return new Ffn(ms, error);
  }

  private double ffnRowsError(ExpertWeights w, float[] x, int n, float[] out) {
    int h = w.hidden();
    int f = w.ffn();
    double diff = 0;
    double norm = 0;
    for (int s = 0; s < SAMPLED_ROWS; s++) {
      int row = s == 0 ? n - 1 : random.nextInt(n);
      double[] act = new double[f];
      IntStream.range(0, f)
          .parallel()
          .forEach(
              j -> {
                double gate = 0;
                double up = 0;
                for (int p = 0; p < h; p++) {
                  gate += (double) w.gateUp()[j * h + p] * x[row * h + p];
                  up += (double) w.gateUp()[(f + j) * h + p] * x[row * h + p];
                }
                act[j] = gate / (1 + Math.exp(-gate)) * up;
              });
      for (int i = 0; i < h; i++) {
        double sum = 0;
        for (int j = 0; j < f; j++) {
          sum += w.down()[i * f + j] * act[j];
        }
        double d = out[row * h + i] - sum;
        diff += d * d;
        norm += sum * sum;
      }
    }
    return Math.sqrt(diff / norm);
  }

  private interface Sample {
    double take();
  }

  /** Two warm-up runs, then the median of {@code repeats}. */
  private static double median(int repeats, Sample sample) {
    sample.take();
    sample.take();
    double[] times = new double[repeats];
    for (int i = 0; i < repeats; i++) {
      times[i] = sample.take();
    }
    Arrays.sort(times);
    return times[repeats / 2];
  }

  private void record(String name, boolean passed, String detail) {
    failed |= !passed;
    System.out.printf("gpu-check: %s %s: %s%n", passed ? "PASS" : "FAIL", name, detail);
    checks.add(
        String.format(
            "{\"name\": %s, \"passed\": %b, \"detail\": %s}", quote(name), passed, quote(detail)));
  }

  private String json(String device) {
    return String.format(
        "{\"device\": %s, \"rows\": [%n  %s%n], \"checks\": [%n  %s%n]}%n",
        quote(String.valueOf(device)), String.join(",\n  ", rows), String.join(",\n  ", checks));
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ") + "\"";
  }

  /** Gaussian values times {@code scale}, drawn in parallel (a 4096 x 28672 expert is 117M). */
  private float[] gaussian(int count, double scale) {
    float[] values = new float[count];
    int chunks = 64;
    SplittableRandom[] streams = new SplittableRandom[chunks];
    for (int c = 0; c < chunks; c++) {
      streams[c] = random.split();
    }
    IntStream.range(0, chunks)
        .parallel()
        .forEach(
            c -> {
              int from = (int) ((long) count * c / chunks);
              int to = (int) ((long) count * (c + 1) / chunks);
              SplittableRandom r = streams[c];
              for (int i = from; i < to; i++) {
                // Box-Muller: SplittableRandom has no nextGaussian on Java 17.
                double u = 1 - r.nextDouble();
                double v = r.nextDouble();
                values[i] =
                    (float) (scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
              }
            });
    return values;
  }
}
