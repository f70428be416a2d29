package dev.sparkmoe.core.generate;

import dev.sparkmoe.core.Checks;
import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.forward.OutputHead;
import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.nn.KvCache;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;

/**
 * Generates new tokens for a partition's rows with continuous batching: rows are admitted in input
 * order while the KV-cache budget has room for their prompt and their longest answer, each forward
 * step computes the prompts of the rows just admitted (prefill) together with one new token of
 * every other active row (decode), and a row leaves as soon as it finishes, freeing its cache for
 * the next. A row's tokens do not depend on the rows it is batched with (up to float rounding of
 * the GEMMs) nor on the order of draws: sampling uses the row's counter-based generator.
 *
 * <p>Not thread-safe: one call at a time.
 */
public final class BatchGenerator {
  private final ModelConfig config;
  private final OutputHead head;
  private final CachedForward forward;
  private final int[] eosTokenIds;
  private final long kvCacheMemoryBytes;
  private final int attentionLayers;

  /** A row to generate for. */
  public record Request(Object id, int[] prompt, SamplingParams params) {}

  /**
   * @param eosTokenIds the model's end-of-sequence ids ({@code EosTokens})
   * @param kvCacheMemoryBytes the most KV-cache memory the active rows may reserve at once
   * @param attentionLayers the model's layers that have attention (and so a cache)
   */
  public BatchGenerator(
      ModelConfig config,
      OutputHead head,
      CachedForward forward,
      int[] eosTokenIds,
      long kvCacheMemoryBytes,
      int attentionLayers) {
    this.config = config;
    this.head = head;
    this.forward = forward;
    this.eosTokenIds = eosTokenIds.clone();
    this.kvCacheMemoryBytes = kvCacheMemoryBytes;
    this.attentionLayers = attentionLayers;
  }

  /** The generations and what the call did. */
  public record Result(List<Generation> generations, GenerationStats stats) {}

  /** A row being generated. */
  private static final class Active {
    final int index;
    final Request request;
    final KvCache cache;
    final long stream;
    final long reservedBytes;
    final List<Integer> tokens = new ArrayList<>();
    final List<Float> logprobs = new ArrayList<>();
    long firstTokenNanos;

    Active(int index, Request request, KvCache cache, long reservedBytes) {
      this.index = index;
      this.request = request;
      this.cache = cache;
      this.stream = Sampler.stream(request.params().seed(), request.id());
      this.reservedBytes = reservedBytes;
    }
  }

  /**
   * The KV-cache bytes a row reserves: every position it may cache (its prompt and all but its last
   * new token) in every attention layer.
   */
  public long reservedBytes(Request request) {
    long positions = (long) request.prompt().length + maxNewTokens(request) - 1;
    return KvCache.bytesFor(attentionLayers, config.numKvHeads(), config.headDim(), positions);
  }

  /**
   * Generates for every request, in order; rows must have at least one token.
   *
   * @throws IllegalArgumentException naming the first row whose cache cannot fit the budget alone
   */
  public Result generate(List<Request> requests) {
    for (Request request : requests) {
      Checks.checkArgument(
          request.prompt().length > 0, "Cannot generate for row %s: no tokens", request.id());
      long need = reservedBytes(request);
      Checks.checkArgument(
          need <= kvCacheMemoryBytes,
          "Cannot generate for row %s: its KV cache needs %d bytes (%d prompt tokens + %d new"
              + " tokens) but kv-cache-memory is %d bytes (raise kv-cache-memory or lower"
              + " max-new-tokens)",
          request.id(),
          need,
          request.prompt().length,
          maxNewTokens(request),
          kvCacheMemoryBytes);
    }
    long start = System.nanoTime();
    Generation[] done = new Generation[requests.size()];
    Deque<Integer> pending = new ArrayDeque<>();
    for (int i = 0; i < requests.size(); i++) {
      pending.add(i);
    }
    List<Active> active = new ArrayList<>();
    List<Integer> batchSizes = new ArrayList<>();
    long reserved = 0;
    long peakBytes = 0;
    long outputTokens = 0;
    while (!pending.isEmpty() || !active.isEmpty()) {
      List<int[]> rows = new ArrayList<>();
      for (Active row : active) {
        rows.add(new int[] {row.tokens.get(row.tokens.size() - 1)});
      }
      while (!pending.isEmpty()
          && reserved + reservedBytes(requests.get(pending.peek())) <= kvCacheMemoryBytes) {
        Active row = admit(pending.poll(), requests);
        reserved += row.reservedBytes;
        active.add(row);
        rows.add(row.request.prompt());
      }
      FinalHidden hidden =
          forward.run(rows, active.stream().map(a -> a.cache).toArray(KvCache[]::new));
      batchSizes.add(active.size());
      peakBytes = Math.max(peakBytes, allocatedBytes(active));
      long now = System.nanoTime();
      List<Active> still = new ArrayList<>();
      float[] logits = head.lastLogits(hidden);
      int vocab = config.vocabSize();
      for (int r = 0; r < active.size(); r++) {
        Active row = active.get(r);
        float[] rowLogits = Arrays.copyOfRange(logits, r * vocab, (r + 1) * vocab);
        Generation finished = step(row, rowLogits, now - start);
        outputTokens++;
        if (finished == null) {
          still.add(row);
        } else {
          done[row.index] = finished;
          reserved -= row.reservedBytes;
        }
      }
      active = still;
    }
    long nanos = System.nanoTime() - start;
    List<Generation> generations = Arrays.asList(done);
    return new Result(
        List.copyOf(generations),
        new GenerationStats(
            outputTokens,
            nanos,
            peakBytes,
            batchSizes.stream().mapToInt(Integer::intValue).toArray(),
            ttftMillis(generations),
            tpotMillis(generations)));
  }

  private Active admit(int index, List<Request> requests) {
    Request request = requests.get(index);
    long positions = (long) request.prompt().length + maxNewTokens(request) - 1;
    KvCache cache =
        new KvCache(config.numLayers(), config.numKvHeads(), config.headDim(), (int) positions);
    return new Active(index, request, cache, reservedBytes(request));
  }

  /** Chooses the row's next token; the row's generation if that finished it, else null. */
  private Generation step(Active row, float[] logits, long sinceStart) {
    SamplingParams params = row.request.params();
    int step = row.tokens.size();
    int[] masked = step < params.minNewTokens() ? endIds(params) : new int[0];
    Sampler.Choice choice = Sampler.choose(logits, params, masked, row.stream, step);
    row.tokens.add(choice.token());
    row.logprobs.add((float) choice.logprob());
    if (step == 0) {
      row.firstTokenNanos = sinceStart;
    }
    FinishReason reason = finishReason(row, choice.token());
    if (reason == null) {
      return null;
    }
    int n = row.tokens.size();
    double tpot = n > 1 ? (double) (sinceStart - row.firstTokenNanos) / (n - 1) : Double.NaN;
    return new Generation(
        row.tokens.stream().mapToInt(Integer::intValue).toArray(),
        floats(row.logprobs),
        reason,
        row.request.prompt().length,
        row.firstTokenNanos,
        tpot);
  }

  private FinishReason finishReason(Active row, int token) {
    SamplingParams params = row.request.params();
    if (params.isStop(token) || (!params.ignoreEos() && contains(eosTokenIds, token))) {
      return FinishReason.STOP;
    }
    int n = row.tokens.size();
    if (n >= maxNewTokens(row.request)) {
      return FinishReason.LENGTH;
    }
    return null;
  }

  /**
   * The row's max-new-tokens, cut so that prompt and answer stay within the model's longest
   * sequence.
   */
  private int maxNewTokens(Request request) {
    int room = config.maxPositionEmbeddings() - request.prompt().length;
    return Math.max(1, Math.min(request.params().maxNewTokens(), room));
  }

  /** The ids that end a row: stop ids, and end-of-sequence ids unless they are ignored. */
  private int[] endIds(SamplingParams params) {
    int[] stops = params.stopTokenIds();
    if (params.ignoreEos()) {
      return stops;
    }
    int[] all = Arrays.copyOf(stops, stops.length + eosTokenIds.length);
    System.arraycopy(eosTokenIds, 0, all, stops.length, eosTokenIds.length);
    return all;
  }

  private static long allocatedBytes(List<Active> active) {
    long bytes = 0;
    for (Active row : active) {
      bytes += row.cache.allocatedBytes();
    }
    return bytes;
  }

  private static boolean contains(int[] ids, int token) {
    for (int id : ids) {
      if (id == token) {
        return true;
      }
    }
    return false;
  }

  private static float[] floats(List<Float> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }

  private static float[] ttftMillis(List<Generation> generations) {
    float[] out = new float[generations.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = generations.get(i).ttftNanos() / 1e6f;
    }
    return out;
  }

  private static float[] tpotMillis(List<Generation> generations) {
    return toFloats(
        generations.stream()
            .mapToDouble(Generation::tpotNanos)
            .filter(t -> !Double.isNaN(t))
            .map(t -> t / 1e6)
            .toArray());
  }

  private static float[] toFloats(double[] values) {
    float[] out = new float[values.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) values[i];
    }
    return out;
  }
}
