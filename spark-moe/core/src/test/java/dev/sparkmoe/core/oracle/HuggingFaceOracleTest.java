package dev.sparkmoe.core.oracle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the Java side of the Hugging Face oracle end to end: the interpreter is found, the script
 * runs on a real checkpoint and its output parses into consistent rows. The checkpoint is a fresh
 * random tiny Mixtral (layer 0 with attention, layer 1 a pure MoE layer) written through the same
 * interpreter with {@code safetensors.numpy}. The oracle's math itself is checked against numpy by
 * {@code check_hf_reference.py}.
 */
class HuggingFaceOracleTest {
  private static final int VOCAB_SIZE = 97;
  private static final int HIDDEN_SIZE = 32;

  // Legacy Mixtral names, as Mixtral checkpoints on the Hub and our generator write them.
  private static final String WRITE_CHECKPOINT =
      """
      import json, sys
      import numpy as np
      from safetensors.numpy import save_file

      out, seed = sys.argv[1], int(sys.argv[2])
      rng = np.random.default_rng(seed)
      h, inter, vocab, heads, kv, hd, experts = 32, 48, 97, 4, 2, 8, 4

      def linear(rows, cols, gain=1.0):
          return (rng.standard_normal((rows, cols)) * gain / np.sqrt(cols)).astype(np.float32)

      def norm():
          return (1.0 + 0.2 * rng.standard_normal(h)).astype(np.float32)

      t = {"model.embed_tokens.weight": rng.standard_normal((vocab, h)).astype(np.float32),
           "model.norm.weight": norm(), "lm_head.weight": linear(vocab, h)}
      for i, with_attention in enumerate((True, False)):
          p = f"model.layers.{i}."
          if with_attention:
              t[p + "input_layernorm.weight"] = norm()
              t[p + "self_attn.q_proj.weight"] = linear(heads * hd, h, 2.0)
              t[p + "self_attn.k_proj.weight"] = linear(kv * hd, h, 2.0)
              t[p + "self_attn.v_proj.weight"] = linear(kv * hd, h)
              t[p + "self_attn.o_proj.weight"] = linear(h, heads * hd)
          t[p + "post_attention_layernorm.weight"] = norm()
          t[p + "block_sparse_moe.gate.weight"] = linear(experts, h, 3.0)
          for j in range(experts):
              e = f"{p}block_sparse_moe.experts.{j}."
              t[e + "w1.weight"] = linear(inter, h)
              t[e + "w3.weight"] = linear(inter, h)
              t[e + "w2.weight"] = linear(h, inter)
      save_file(t, out + "/model.safetensors")
      config = dict(architectures=["MixtralForCausalLM"], model_type="mixtral", vocab_size=vocab,
                    hidden_size=h, intermediate_size=inter, num_hidden_layers=2,
                    num_attention_heads=heads, num_key_value_heads=kv, num_local_experts=experts,
                    num_experts_per_tok=2, hidden_act="silu", rms_norm_eps=1e-5, rope_theta=1e6,
                    max_position_embeddings=4096, tie_word_embeddings=False, torch_dtype="float32")
      with open(out + "/config.json", "w") as f:
          json.dump(config, f)
      """;

  @TempDir static Path modelDir;
  private static HuggingFaceOracle oracle;
  private static long seed;

  @BeforeAll
  static void writeCheckpoint() {
    oracle = HuggingFaceOracle.locate();
    seed = new Random().nextLong() >>> 1;
    oracle.runPython(WRITE_CHECKPOINT, modelDir.toString(), Long.toString(seed));
  }

  @Test
  void appendingTheOraclesNextTokenKeepsThePrefixAndAddsItsLogprob() {
    int[] prefix = new Random(seed).ints(9, 0, VOCAB_SIZE).toArray();
    OracleRow a = oracle.runWithHidden(modelDir, List.of(prefix)).get(0);
    int[] extended = Arrays.copyOf(prefix, prefix.length + 1);
    extended[prefix.length] = a.nextToken();
    OracleRow b = oracle.runWithHidden(modelDir, List.of(extended)).get(0);

    assertThat(a.numTokens()).isEqualTo(prefix.length);
    assertThat(b.numTokens()).isEqualTo(extended.length);
    assertThat(b.hidden()).hasNumberOfRows(extended.length);
    assertThat(relativeError(Arrays.copyOf(b.hidden(), prefix.length), a.hidden()))
        .as("causal attention (seed %d): one more token leaves earlier positions unchanged", seed)
        .isLessThan(1e-5);
    assertThat(b.score() - a.score())
        .as("score(A + t) - score(A) = log p(t | A) for t = argmax (seed %d)", seed)
        .isCloseTo(a.logprob(), within(1e-5));
    assertThat(a.logprob())
        .as("log p of the argmax over %d tokens", VOCAB_SIZE)
        .isBetween(-Math.log(VOCAB_SIZE), 0.0);
    assertThat(relativeError(new float[][] {a.embedding()}, new float[][] {mean(a.hidden())}))
        .as("embedding = mean over positions of the final hidden state (seed %d)", seed)
        .isLessThan(1e-6);
  }

  @Test
  void runsEachRowAloneAndOmitsHiddenUnlessAsked() {
    Random random = new Random(seed + 1);
    int[] single = {random.nextInt(VOCAB_SIZE)};
    int[] longer = random.ints(5, 0, VOCAB_SIZE).toArray();
    List<OracleRow> both = oracle.run(modelDir, List.of(single, longer));
    OracleRow alone = oracle.run(modelDir, List.of(longer)).get(0);

    assertThat(both).hasSize(2);
    assertThat(both.get(0).score()).as("score of a single token").isZero();
    assertThat(both.get(0).embedding()).hasSize(HIDDEN_SIZE);
    assertThat(both.get(1).hidden()).isNull();
    assertThat(
            relativeError(
                new float[][] {both.get(1).embedding()}, new float[][] {alone.embedding()}))
        .as("a row's result does not depend on the rows run with it (seed %d)", seed)
        .isLessThan(1e-6);
  }

  @Test
  void failsWithTheScriptsMessage() {
    List<int[]> rows = List.of(new int[] {3, VOCAB_SIZE});

    assertThatThrownBy(() -> oracle.run(modelDir, rows))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("Cannot run Hugging Face oracle on " + modelDir)
        .hasMessageContaining("Invalid token id 97 in row 0 (expected: 0 <= id < 97)");
  }

  private static float[] mean(float[][] rows) {
    float[] mean = new float[rows[0].length];
    for (float[] row : rows) {
      for (int i = 0; i < mean.length; i++) {
        mean[i] += row[i] / rows.length;
      }
    }
    return mean;
  }

  /** ‖actual − expected‖ / ‖expected‖ over all entries. */
  private static double relativeError(float[][] actual, float[][] expected) {
    assertThat(actual.length).isEqualTo(expected.length);
    double diff = 0;
    double norm = 0;
    for (int r = 0; r < expected.length; r++) {
      assertThat(actual[r]).hasSameSizeAs(expected[r]);
      for (int i = 0; i < expected[r].length; i++) {
        diff += Math.pow((double) actual[r][i] - expected[r][i], 2);
        norm += Math.pow(expected[r][i], 2);
      }
    }
    return Math.sqrt(diff / norm);
  }
}
