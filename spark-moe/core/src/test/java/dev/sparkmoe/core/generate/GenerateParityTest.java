package dev.sparkmoe.core.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.backend.ExpertSource;
import dev.sparkmoe.core.backend.ResidentExpert;
import dev.sparkmoe.core.exchange.InTaskSide;
import dev.sparkmoe.core.forward.DecoderLoop;
import dev.sparkmoe.core.forward.OutputHead;
import dev.sparkmoe.core.model.DenseWeights;
import dev.sparkmoe.core.model.EosTokens;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.oracle.HuggingFaceOracle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Greedy generation against {@code transformers}' {@code generate(do_sample=False)} with its KV
 * cache, on Mixtral, Qwen2-MoE, Qwen3-MoE (QK norm, a sliding window of 6 that the rows outgrow)
 * and OLMoE (whole-projection QK norm, clip_qkv) checkpoints that {@code hf_generate.py} writes
 * with the real classes: token for token, each step's log-probability within 1e-4; a different
 * token is allowed only where transformers' two best log-probabilities are within 1e-3 (a near tie
 * that float rounding may break either way), and the row is not compared after it. The rows of the
 * batch are generated together, under a KV-cache budget that admits about half of them at a time,
 * and the model's end-of-sequence id (from generation_config.json) ends rows as it does in
 * transformers.
 */
class GenerateParityTest {
  private static final int VOCAB = 160;
  private static final int MAX_NEW_TOKENS = 12;
  private static final double LOGPROB_TOLERANCE = 1e-4;
  private static final double TIE = 1e-3;

  @TempDir static Path temp;
  private static long seed;
  private static List<int[]> rows;
  private static final List<String> MODELS =
      List.of(
          "mixtral-f32",
          "qwen2_moe-f32",
          "qwen2_moe-bf16",
          "qwen3_moe-f32",
          "qwen3_moe-bf16",
          "olmoe-f32",
          "olmoe-bf16");

  private static Map<String, HuggingFaceOracle.GeneratedModel> models;
  private static Map<String, HuggingFaceOracle.Greedy> greedy;

  @BeforeAll
  static void generate() {
    seed = new Random().nextLong() >>> 1;
    Random random = new Random(seed);
    rows = new ArrayList<>();
    for (int length : new int[] {1, 4, 9, 17}) {
      int[] row = new int[length];
      for (int i = 0; i < length; i++) {
        row[i] = random.nextInt(VOCAB);
      }
      rows.add(row);
    }
    HuggingFaceOracle oracle = HuggingFaceOracle.locate();
    models = new HashMap<>();
    greedy = new HashMap<>();
    List<Path> dirs = new ArrayList<>();
    for (HuggingFaceOracle.GeneratedModel model : oracle.generate(temp, seed, rows, MODELS)) {
      models.put(model.name(), model);
      dirs.add(model.directory());
    }
    List<HuggingFaceOracle.Greedy> results = oracle.greedy(dirs, rows, MAX_NEW_TOKENS);
    for (int m = 0; m < MODELS.size(); m++) {
      greedy.put(MODELS.get(m), results.get(m));
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "mixtral-f32",
        "qwen2_moe-f32",
        "qwen2_moe-bf16",
        "qwen3_moe-f32",
        "qwen3_moe-bf16",
        "olmoe-f32",
        "olmoe-bf16"
      })
  void greedyMatchesTransformersGenerate(String name) {
    Path dir = models.get(name).directory();
    String label = name + " (seed " + seed + ")";
    HuggingFaceOracle.Greedy expected = greedy.get(name);
    int[] eos = EosTokens.read(dir);
    assertThat(eos)
        .as(label + ": eos ids as transformers found them")
        .containsExactly(expected.eosTokenIds());
    List<Generation> actual = generate(dir, eos);
    int compared = 0;
    for (int r = 0; r < rows.size(); r++) {
      compared += compareRow(label + ", row " + r, actual.get(r), expected.rows().get(r));
    }
    assertThat(compared).as(label + ": steps compared").isGreaterThan(rows.size() * 2);
  }

  private static List<Generation> generate(Path dir, int[] eos) {
    try (MoeModel model = MoeModel.open(dir);
        CpuExpertBackend backend = new CpuExpertBackend()) {
      DenseWeights dense = model.loadDense();
      Map<List<Integer>, ResidentExpert> uploaded = new ConcurrentHashMap<>();
      ExpertSource experts =
          (l, e) ->
              uploaded.computeIfAbsent(List.of(l, e), k -> backend.upload(model.loadExpert(l, e)));
      DecoderLoop loop = new DecoderLoop(model.config(), dense);
      InTaskSide side = new InTaskSide(loop, backend, experts, layer -> {});
      int attentionLayers = (int) dense.layers().stream().filter(l -> l.hasAttention()).count();
      CachedForward forward =
          (batch, caches) ->
              side.forwardCached(
                  batch, caches, new InTaskSide.LayerStats[model.config().numLayers()]);
      List<BatchGenerator.Request> requests = new ArrayList<>();
      for (int r = 0; r < rows.size(); r++) {
        requests.add(
            new BatchGenerator.Request(
                (long) r, rows.get(r), SamplingParams.DEFAULTS.withMaxNewTokens(MAX_NEW_TOKENS)));
      }
      BatchGenerator sizing =
          new BatchGenerator(
              model.config(),
              new OutputHead(model.config(), dense.lmHead()),
              forward,
              eos,
              Long.MAX_VALUE,
              attentionLayers);
      long budget = sizing.reservedBytes(requests.get(3)) + sizing.reservedBytes(requests.get(1));
      BatchGenerator generator =
          new BatchGenerator(
              model.config(),
              new OutputHead(model.config(), dense.lmHead()),
              forward,
              eos,
              budget,
              attentionLayers);
      return generator.generate(requests).generations();
    }
  }

  /** Compares one row step by step; returns the steps compared. */
  private static int compareRow(
      String label, Generation actual, HuggingFaceOracle.GreedyRow expected) {
    int steps = Math.min(actual.tokens().length, expected.tokens().length);
    for (int step = 0; step < steps; step++) {
      if (actual.tokens()[step] != expected.tokens()[step]) {
        assertThat(expected.gaps()[step])
            .as(
                "%s, step %d: token %d where transformers chose %d; allowed only at a near tie",
                label, step, actual.tokens()[step], expected.tokens()[step])
            .isLessThan(TIE);
        return step;
      }
      assertThat((double) actual.logprobs()[step])
          .as("%s, step %d: log-probability of token %d", label, step, actual.tokens()[step])
          .isCloseTo(expected.logprobs()[step], within(LOGPROB_TOLERANCE));
    }
    assertThat(actual.tokens().length)
        .as("%s: new tokens (finish %s)", label, actual.finishReason())
        .isEqualTo(expected.tokens().length);
    return steps;
  }
}
