package dev.sparkmoe.core.forward;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.generate.ModelSpec;
import dev.sparkmoe.core.generate.TokenGenerator;
import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.oracle.HuggingFaceOracle;
import dev.sparkmoe.core.oracle.OracleRow;
import dev.sparkmoe.core.safetensors.DType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The reference forward against Hugging Face {@code transformers}' {@code MixtralForCausalLM}
 * (eager attention, f32) on the same generated checkpoints: the independent oracle. Tolerance: 1e-4
 * relative for embeddings (by norm), log-probabilities and scores.
 */
class HuggingFaceParityTest {
  private static final double TOLERANCE = 1e-4;

  @TempDir Path temp;

  static Stream<Arguments> models() {
    ModelSpec tiny = ModelFixtures.tiny();
    return Stream.of(
        Arguments.of("tiny f32, separate LM head", tiny),
        Arguments.of(
            "tiny bf16, tied embeddings",
            tiny.toBuilder().dtype(DType.BF16).tiedEmbeddings().build()),
        Arguments.of(
            "f16, 3 layers, 4 experts top-1, multi-head (8 q = 8 kv heads)",
            tiny.toBuilder()
                .dtype(DType.F16)
                .layers(3)
                .experts(4)
                .topK(1)
                .heads(8)
                .kvHeads(8)
                .seed(5)
                .build()),
        Arguments.of(
            "f32, 16 experts top-4, hidden 96, GQA 6:2",
            tiny.toBuilder()
                .experts(16)
                .topK(4)
                .hidden(96)
                .ffn(80)
                .heads(6)
                .kvHeads(2)
                .seed(9)
                .build()),
        Arguments.of(
            "pure MoE layers (no attention), f32",
            tiny.toBuilder().withoutAttention().seed(11).build()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void matchesTransformers(String description, ModelSpec spec) {
    Path dir = ModelFixtures.write(spec, temp.resolve("model"));
    List<int[]> rows = rows(spec.vocab());
    List<OracleRow> expected = HuggingFaceOracle.locate().run(dir, rows);

    try (MoeModel model = MoeModel.open(dir)) {
      ReferenceForward forward =
          new ReferenceForward(model, model.loadDense(), new CpuExpertBackend());
      FinalHidden states = forward.run(rows);
      OutputHead head = forward.head();
      for (int r = 0; r < rows.size(); r++) {
        OracleRow oracle = expected.get(r);
        String row = description + ", row " + r + " (" + rows.get(r).length + " tokens)";
        assertThat(relativeError(head.embedding(states, r), oracle.embedding()))
            .as("embedding vs transformers: %s", row)
            .isLessThan(TOLERANCE);
        OutputHead.NextToken next = head.nextToken(states, r);
        assertThat(next.token())
            .as("next token vs transformers: %s", row)
            .isEqualTo(oracle.nextToken());
        assertThat(next.logprob())
            .as("logprob: %s", row)
            .isCloseTo(oracle.logprob(), within(oracle.logprob()));
        OutputHead.Score score = head.score(states, r, rows.get(r));
        assertThat(score.logLikelihood())
            .as("score: %s", row)
            .isCloseTo(oracle.score(), within(oracle.score()));
        assertThat(score.numTokens()).as("num_tokens: %s", row).isEqualTo(oracle.numTokens());
      }
    }
  }

  private static org.assertj.core.data.Offset<Double> within(double expected) {
    return org.assertj.core.data.Offset.offset(TOLERANCE * Math.max(1.0, Math.abs(expected)));
  }

  /**
   * Rows of several lengths, including a single token and one longer than a RoPE period of the fast
   * dims.
   */
  private static List<int[]> rows(int vocab) {
    TokenGenerator generator =
        new TokenGenerator(/* seed= */ 3, /* minLength= */ 1, /* maxLength= */ 48, vocab);
    List<int[]> rows = new ArrayList<>();
    rows.add(new int[] {7});
    for (long id = 0; id < 5; id++) {
      rows.add(generator.tokens(id));
    }
    return rows;
  }

  static double relativeError(float[] actual, float[] expected) {
    double diff = 0;
    double norm = 0;
    for (int i = 0; i < expected.length; i++) {
      diff += Math.pow(actual[i] - expected[i], 2);
      norm += Math.pow(expected[i], 2);
    }
    assertThat(actual).hasSameSizeAs(expected);
    return Math.sqrt(diff / norm);
  }
}
