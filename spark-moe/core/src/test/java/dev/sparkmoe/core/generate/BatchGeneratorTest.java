package dev.sparkmoe.core.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.backend.ExpertSource;
import dev.sparkmoe.core.backend.ResidentExpert;
import dev.sparkmoe.core.exchange.InTaskSide;
import dev.sparkmoe.core.forward.DecoderLoop;
import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.forward.MoeBlock;
import dev.sparkmoe.core.forward.OutputHead;
import dev.sparkmoe.core.model.DenseWeights;
import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.nn.KvCache;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generation with a KV cache against a full recompute of every prefix (the decoder loop without a
 * cache, the reference forward's path), on the tiny Mixtral (grouped-query attention: 4 query heads
 * over 2 key/value heads); continuous batching under a KV-cache budget.
 */
class BatchGeneratorTest {
  @TempDir static Path temp;
  private static MoeModel model;
  private static DenseWeights dense;
  private static CpuExpertBackend backend;
  private static MoeBlock experts;
  private static ExpertSource resident;
  private static DecoderLoop loop;
  private static OutputHead head;
  private static int attentionLayers;

  @BeforeAll
  static void open() {
    model = MoeModel.open(ModelFixtures.tinyMixtral(temp.resolve("m")));
    dense = model.loadDense();
    backend = new CpuExpertBackend();
    Map<List<Integer>, ResidentExpert> uploaded = new ConcurrentHashMap<>();
    resident =
        (l, e) ->
            uploaded.computeIfAbsent(List.of(l, e), k -> backend.upload(model.loadExpert(l, e)));
    experts = new MoeBlock(model.config().hiddenSize(), backend, resident);
    loop = new DecoderLoop(model.config(), dense);
    head = new OutputHead(model.config(), dense.lmHead());
    attentionLayers = (int) dense.layers().stream().filter(l -> l.hasAttention()).count();
  }

  @AfterAll
  static void close() {
    backend.close();
    model.close();
  }

  private static CachedForward inTask() {
    InTaskSide side = new InTaskSide(loop, backend, resident, layer -> {});
    return (rows, caches) ->
        side.forwardCached(rows, caches, new InTaskSide.LayerStats[model.config().numLayers()]);
  }

  private static BatchGenerator generator(long kvCacheBytes) {
    return new BatchGenerator(
        model.config(), head, inTask(), new int[0], kvCacheBytes, attentionLayers);
  }

  private static int[] prompt(long seed, int length) {
    Random random = new Random(seed);
    int[] tokens = new int[length];
    for (int i = 0; i < length; i++) {
      tokens[i] = random.nextInt(model.config().vocabSize());
    }
    return tokens;
  }

  private static double relativeError(float[] actual, int actualOffset, float[] expected, int at) {
    int hidden = model.config().hiddenSize();
    double diff = 0;
    double norm = 0;
    for (int i = 0; i < hidden; i++) {
      double d = actual[actualOffset + i] - expected[at + i];
      diff += d * d;
      norm += (double) expected[at + i] * expected[at + i];
    }
    return Math.sqrt(diff / norm);
  }

  @Test
  void eachDecodeStepEqualsAFullRecomputeOfThePrefix() {
    int[] sequence = prompt(7, 30);
    int promptLength = 9;
    KvCache cache =
        new KvCache(
            model.config().numLayers(), model.config().numKvHeads(), model.config().headDim(), 4);
    FinalHidden prefill =
        loop.run(List.of(Arrays.copyOf(sequence, promptLength)), new KvCache[] {cache}, experts);
    FinalHidden full = loop.run(List.of(sequence), experts);
    int hidden = model.config().hiddenSize();
    for (int t = 0; t < promptLength; t++) {
      assertThat(relativeError(prefill.states(), t * hidden, full.states(), t * hidden))
          .as("prefill position %d against the full forward", t)
          .isLessThan(1e-5);
    }
    for (int t = promptLength; t < sequence.length; t++) {
      FinalHidden step = loop.run(List.of(new int[] {sequence[t]}), new KvCache[] {cache}, experts);
      assertThat(relativeError(step.states(), 0, full.states(), t * hidden))
          .as(
              "decode of position %d (cache grown past its 4 positions) against the full forward",
              t)
          .isLessThan(1e-5);
    }
    assertThat(cache.length(0)).isEqualTo(sequence.length);
  }

  @Test
  void greedyGenerationEqualsArgmaxOfFullRecomputes() {
    int[] prompt = prompt(3, 12);
    SamplingParams params = SamplingParams.DEFAULTS.withMaxNewTokens(10);
    Generation generated =
        generator(Long.MAX_VALUE)
            .generate(List.of(new BatchGenerator.Request(5L, prompt, params)))
            .generations()
            .get(0);

    List<Integer> sequence = new ArrayList<>();
    for (int token : prompt) {
      sequence.add(token);
    }
    int[] expected = new int[10];
    double[] expectedLogprobs = new double[10];
    for (int step = 0; step < 10; step++) {
      FinalHidden full =
          loop.run(List.of(sequence.stream().mapToInt(Integer::intValue).toArray()), experts);
      OutputHead.NextToken next = head.nextToken(full, 0);
      expected[step] = next.token();
      expectedLogprobs[step] = next.logprob();
      sequence.add(next.token());
    }
    assertThat(generated.tokens())
        .as("greedy tokens, cached vs recomputed")
        .containsExactly(expected);
    for (int step = 0; step < 10; step++) {
      assertThat((double) generated.logprobs()[step])
          .as("log-probability of step %d", step)
          .isCloseTo(expectedLogprobs[step], within(1e-4));
    }
    assertThat(generated.finishReason()).isEqualTo(FinishReason.LENGTH);
    assertThat(generated.numInputTokens()).isEqualTo(12);
  }

  @Test
  void aRowGeneratesTheSameTokensAloneAndBatchedUnderAnyBudget() {
    List<BatchGenerator.Request> requests = new ArrayList<>();
    SamplingParams sampled = new SamplingParams(8, 0, 1.0, 0, 1.0, 0, 99, new int[0], false);
    for (int r = 0; r < 5; r++) {
      requests.add(
          new BatchGenerator.Request(
              "row-" + r,
              prompt(100 + r, 3 + 4 * r),
              r % 2 == 0 ? sampled : sampled.withMaxNewTokens(3 + r)));
    }
    BatchGenerator unbounded = generator(Long.MAX_VALUE);
    BatchGenerator.Result all = unbounded.generate(requests);
    long largest = requests.stream().mapToLong(unbounded::reservedBytes).max().orElseThrow();
    BatchGenerator.Result tight = generator(largest + 1).generate(requests);
    for (int r = 0; r < requests.size(); r++) {
      Generation alone = unbounded.generate(List.of(requests.get(r))).generations().get(0);
      assertThat(all.generations().get(r).tokens())
          .as("row %d batched with all others", r)
          .containsExactly(alone.tokens());
      assertThat(tight.generations().get(r).tokens())
          .as("row %d under a budget of about one row", r)
          .containsExactly(alone.tokens());
    }
    assertThat(all.stats().batchSizes()[0]).as("all five admitted at once").isEqualTo(5);
    assertThat(Arrays.stream(tight.stats().batchSizes()).max().orElseThrow())
        .as("the budget admits fewer rows at once")
        .isLessThan(5);
    assertThat(tight.stats().peakKvCacheBytes()).isLessThanOrEqualTo(largest + 1);
    assertThat(all.stats().outputTokens())
        .isEqualTo(all.generations().stream().mapToLong(Generation::numOutputTokens).sum());
  }

  @Test
  void stopAndEndOfSequenceIdsEndARowButNotBeforeMinNewTokens() {
    int[] prompt = prompt(11, 6);
    SamplingParams greedy = SamplingParams.DEFAULTS.withMaxNewTokens(6);
    int[] free =
        generator(Long.MAX_VALUE)
            .generate(List.of(new BatchGenerator.Request(1L, prompt, greedy)))
            .generations()
            .get(0)
            .tokens();
    int stop = free[2];
    BatchGenerator eos =
        new BatchGenerator(
            model.config(), head, inTask(), new int[] {stop}, Long.MAX_VALUE, attentionLayers);
    Generation stopped =
        eos.generate(List.of(new BatchGenerator.Request(1L, prompt, greedy))).generations().get(0);
    int firstStop = indexOf(free, stop);
    assertThat(stopped.tokens()).containsExactly(Arrays.copyOf(free, firstStop + 1));
    assertThat(stopped.finishReason()).isEqualTo(FinishReason.STOP);

    SamplingParams ignoring =
        new SamplingParams(6, 0, 0, 0, 1, 0, 0, new int[0], /* ignoreEos= */ true);
    assertThat(
            eos.generate(List.of(new BatchGenerator.Request(1L, prompt, ignoring)))
                .generations()
                .get(0)
                .tokens())
        .containsExactly(free);

    SamplingParams late = new SamplingParams(6, 6, 0, 0, 1, 0, 0, new int[] {free[0]}, false);
    Generation min =
        eos.generate(List.of(new BatchGenerator.Request(1L, prompt, late))).generations().get(0);
    assertThat(min.tokens()).hasSize(6).doesNotContain(stop, free[0]);
    assertThat(min.finishReason()).isEqualTo(FinishReason.LENGTH);
  }

  @Test
  void aRowThatCannotFitAloneFailsNamingItsNeedAndTheLimit() {
    BatchGenerator small = generator(1000);
    BatchGenerator.Request request =
        new BatchGenerator.Request("doc-17", prompt(1, 20), SamplingParams.DEFAULTS);
    long need = small.reservedBytes(request);
    assertThat(need)
        .as("2 layers x 2 (K, V) x 2 heads x 16 dims x 4 bytes x (20 + 16 - 1) positions")
        .isEqualTo(2L * 2 * 2 * model.config().headDim() * 4 * 35);
    assertThatThrownBy(() -> small.generate(List.of(request)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot generate for row doc-17: its KV cache needs %d bytes (20 prompt tokens + 16"
                + " new tokens) but kv-cache-memory is 1000 bytes (raise kv-cache-memory or lower"
                + " max-new-tokens)",
            need);
  }

  private static int indexOf(int[] values, int value) {
    for (int i = 0; i < values.length; i++) {
      if (values[i] == value) {
        return i;
      }
    }
    return -1;
  }
}
