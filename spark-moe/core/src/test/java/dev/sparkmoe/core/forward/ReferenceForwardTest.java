package dev.sparkmoe.core.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.generate.TokenGenerator;
import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.core.model.MoeModel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Properties of the forward that hold whatever the weights: batching, causality, input checks. */
class ReferenceForwardTest {
  @TempDir static Path temp;
  private static MoeModel model;
  private static ReferenceForward forward;

  @BeforeAll
  static void open() {
    model = MoeModel.open(ModelFixtures.tinyMixtral(temp.resolve("m")));
    forward = new ReferenceForward(model, model.loadDense(), new CpuExpertBackend());
  }

  @AfterAll
  static void close() {
    model.close();
  }

  @Test
  void rowsGiveTheSameResultAloneOrBatched() {
    TokenGenerator generator = new TokenGenerator(5, 1, 30, model.config().vocabSize());
    List<int[]> rows = List.of(generator.tokens(1), generator.tokens(2), generator.tokens(3));
    FinalHidden batched = forward.run(rows);
    for (int r = 0; r < rows.size(); r++) {
      FinalHidden alone = forward.run(List.of(rows.get(r)));
      float[] expected = forward.head().embedding(alone, 0);
      float[] actual = forward.head().embedding(batched, r);
      assertThat(HuggingFaceParityTest.relativeError(actual, expected))
          .as("row %d", r)
          .isLessThan(1e-6);
    }
  }

  @Test
  void attentionIsCausal() {
    int[] longer = new TokenGenerator(9, 20, 20, model.config().vocabSize()).tokens(0);
    int[] prefix = Arrays.copyOf(longer, 12);
    float[][] full = forward.head().hidden(forward.run(List.of(longer)), 0);
    float[][] cut = forward.head().hidden(forward.run(List.of(prefix)), 0);
    for (int t = 0; t < prefix.length; t++) {
      assertThat(HuggingFaceParityTest.relativeError(full[t], cut[t]))
          .as("position %d", t)
          .isLessThan(1e-6);
    }
    assertThat(HuggingFaceParityTest.relativeError(full[12], cut[11]))
        .as("later positions differ")
        .isGreaterThan(1e-3);
  }

  @Test
  void tokenChecksNameRowPositionAndRange() {
    assertThatThrownBy(() -> TokenRows.check("17", new int[] {1, 2, 40001}, model.config()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid token id 40001 in row 17 at position 2 (expected: 0 <= id < 512)");
    assertThatThrownBy(() -> TokenRows.check("3", new int[] {-1}, model.config()))
        .hasMessage("Invalid token id -1 in row 3 at position 0 (expected: 0 <= id < 512)");
    assertThatThrownBy(() -> TokenRows.check("4", new int[2049], model.config()))
        .hasMessage(
            "Invalid sequence length 2049 in row 4 (expected: at most max_position_embeddings 2048)");
  }
}
