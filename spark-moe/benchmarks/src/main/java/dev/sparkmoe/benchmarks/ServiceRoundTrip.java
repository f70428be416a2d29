package dev.sparkmoe.benchmarks;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.backend.ExpertBackend;
import dev.sparkmoe.core.backend.ResidentExpert;
import dev.sparkmoe.core.batch.ActivationDtype;
import dev.sparkmoe.core.batch.Allocators;
import dev.sparkmoe.core.batch.DispatchBatch;
import dev.sparkmoe.core.batch.TokenBatchCodec;
import dev.sparkmoe.core.exchange.OwnerDispatch;
import dev.sparkmoe.core.exchange.OwnerStats;
import dev.sparkmoe.core.model.ExpertWeights;
import dev.sparkmoe.core.pipeline.ExpertWorker;
import dev.sparkmoe.core.service.ExpertServer;
import dev.sparkmoe.core.service.ServerOptions;
import dev.sparkmoe.core.service.ServiceExchange;
import dev.sparkmoe.core.service.ServiceOptions;
import dev.sparkmoe.core.service.StaticAddresses;
import java.util.Arrays;
import java.util.Locale;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The round trip of one micro-batch through an expert server on loopback, as an owner sees it:
 * {@link ServiceExchange#exchange} of one encoded dispatch batch — socket, server-side decode, one
 * expert, encode, socket back — timed call by call; prints p50, p99 and the mean in µs. {@code
 * compute=copy} runs a backend that copies its input (the transport and the codec alone), {@code
 * compute=ffn} one f32 expert FFN at hidden 1024, FFN 2816 (the seed models' shape) on the CPU.
 * Measures; asserts nothing.
 *
 * <p>Usage: {@code ServiceRoundTrip [tokens=128] [iterations=2000] [compute=copy|ffn]
 * [gather-micros=0] [dtype=f32|bf16]}
 */
public final class ServiceRoundTrip {
  private static final int HIDDEN = 1024;
  private static final int FFN = 2816;

  private ServiceRoundTrip() {}

  public static void main(String[] args) {
    int tokens = intArg(args, "tokens", 128);
    int iterations = intArg(args, "iterations", 2000);
    String compute = arg(args, "compute", "copy");
    long gatherMicros = intArg(args, "gather-micros", 0);
    ActivationDtype dtype = ActivationDtype.parse(arg(args, "dtype", "f32"));
    try (BufferAllocator allocator = Allocators.root("service-round-trip");
        ExpertBackend backend =
            compute.equals("ffn") ? new CpuExpertBackend() : new CopyBackend()) {
      TokenBatchCodec codec = new TokenBatchCodec(allocator);
      ResidentExpert expert =
          backend.upload(
              new ExpertWeights(
                  0,
                  0,
                  HIDDEN,
                  FFN,
                  RandomArrays.uniform(2 * FFN * HIDDEN, (float) Math.sqrt(3.0 / HIDDEN), 1),
                  RandomArrays.uniform(HIDDEN * FFN, (float) Math.sqrt(3.0 / FFN), 2)));
      ExpertWorker worker = new ExpertWorker(backend, (layer, e) -> expert);
      ServerOptions options = new ServerOptions("127.0.0.1", 64, 4096, gatherMicros);
      try (ExpertServer server = ExpertServer.start(options, 0, worker, codec, dtype, 1);
          ServiceExchange exchange =
              new ServiceExchange(
                  new StaticAddresses().put(0, server.address()), ServiceOptions.defaults(), 0)) {
        byte[] request = codec.encode(batch(tokens), dtype);
        OwnerDispatch dispatch =
            new OwnerDispatch(
                0, 0, new int[] {0}, new byte[][] {request}, new OwnerStats(tokens, 0, 0, 0, 0));
        int answerBytes = 0;
        for (int i = 0; i < Math.max(200, iterations / 4); i++) {
          answerBytes = exchange.exchange(0, dispatch).get(0).length;
        }
        long[] nanos = new long[iterations];
        for (int i = 0; i < iterations; i++) {
          long start = System.nanoTime();
          exchange.exchange(0, dispatch);
          nanos[i] = System.nanoTime() - start;
        }
        print(tokens, compute, gatherMicros, dtype, request.length, answerBytes, nanos);
      }
    }
  }

  private static void print(
      int tokens,
      String compute,
      long gatherMicros,
      ActivationDtype dtype,
      int requestBytes,
      int answerBytes,
      long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    double mean = Arrays.stream(nanos).average().orElse(0);
    System.out.printf(
        Locale.ROOT,
        "service round trip: %d tokens, hidden %d, compute=%s, gather-micros=%d, dtype=%s,"
            + " request %d B, answer %d B, %d calls%n"
            + "  p50 %.1f µs   p99 %.1f µs   mean %.1f µs   max %.1f µs%n",
        tokens,
        HIDDEN,
        compute,
        gatherMicros,
        dtype,
        requestBytes,
        answerBytes,
        nanos.length,
        percentile(sorted, 0.50) / 1e3,
        percentile(sorted, 0.99) / 1e3,
        mean / 1e3,
        sorted[sorted.length - 1] / 1e3);
  }

  private static double percentile(long[] sorted, double q) {
    return sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  }

  private static DispatchBatch batch(int tokens) {
    long[] keys = new long[tokens];
    int[] positions = new int[tokens];
    float[] weights = new float[tokens];
    for (int i = 0; i < tokens; i++) {
      keys[i] = i;
      positions[i] = i;
      weights[i] = 0.5f;
    }
    return new DispatchBatch(
        0,
        0,
        HIDDEN,
        keys,
        positions,
        new int[tokens],
        weights,
        RandomArrays.uniform(tokens * HIDDEN, 1.7f, 3));
  }

  private static String arg(String[] args, String name, String fallback) {
    for (String a : args) {
      if (a.startsWith(name + "=")) {
        return a.substring(name.length() + 1);
      }
    }
    return fallback;
  }

  private static int intArg(String[] args, String name, int fallback) {
    return Integer.parseInt(arg(args, name, Integer.toString(fallback)));
  }

  /** A backend whose expert copies its input: the round trip without expert arithmetic. */
  private static final class CopyBackend implements ExpertBackend {
    @Override
    public String name() {
      return "copy";
    }

    @Override
    public String description() {
      return "copy (no arithmetic)";
    }

    @Override
    public ResidentExpert upload(ExpertWeights weights) {
      return new ResidentExpert() {
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
          return 0;
        }
      };
    }

    @Override
    public void compute(ResidentExpert expert, float[] input, int numTokens, float[] output) {
      System.arraycopy(input, 0, output, 0, numTokens * HIDDEN);
    }

    @Override
    public void close() {}
  }
}
