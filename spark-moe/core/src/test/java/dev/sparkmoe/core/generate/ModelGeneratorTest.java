package dev.sparkmoe.core.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.forward.MoeBlock;
import dev.sparkmoe.core.model.DenseWeights;
import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.nn.RmsNorm;
import dev.sparkmoe.core.routing.Routing;
import dev.sparkmoe.core.routing.SoftmaxTopKRouter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelGeneratorTest {
  @TempDir Path temp;

  @Test
  void sameSeedSameBytesOtherSeedOtherBytes() throws IOException {
    Path a = ModelFixtures.tinyMixtral(temp.resolve("a"));
    Path b = ModelFixtures.tinyMixtral(temp.resolve("b"));
    Path c =
        ModelFixtures.write(ModelFixtures.tiny().toBuilder().seed(43).build(), temp.resolve("c"));
    assertThat(Files.mismatch(a.resolve("model.safetensors"), b.resolve("model.safetensors")))
        .isEqualTo(-1);
    assertThat(Files.mismatch(a.resolve("config.json"), b.resolve("config.json"))).isEqualTo(-1);
    assertThat(Files.mismatch(a.resolve("model.safetensors"), c.resolve("model.safetensors")))
        .isNotEqualTo(-1);
  }

  @Test
  void routerLoadIsUneven() {
    Path dir = ModelFixtures.tinyMixtral(temp.resolve("m"));
    try (MoeModel model = MoeModel.open(dir)) {
      ModelConfig config = model.config();
      DenseWeights dense = model.loadDense();
      TokenGenerator tokens = new TokenGenerator(1, 4096, 4096, config.vocabSize());
      int[] row = tokens.tokens(0);
      int h = config.hiddenSize();
      float[] x = new float[row.length * h];
      for (int t = 0; t < row.length; t++) {
        System.arraycopy(dense.embedding(), row[t] * h, x, t * h, h);
      }
      RmsNorm.apply(
          x, row.length, h, dense.layers().get(0).postAttentionNorm(), config.rmsNormEps(), x);
      Routing routing =
          MoeBlock.route(
              SoftmaxTopKRouter.mixtral(config.numExperts(), config.topK()),
              dense.layers().get(0).moe().router(),
              x,
              row.length,
              h);
      int[] load = new int[config.numExperts()];
      for (int e : routing.experts()) {
        load[e]++;
      }
      double mean = (double) row.length * config.topK() / config.numExperts();
      int max = java.util.Arrays.stream(load).max().orElseThrow();
      int min = java.util.Arrays.stream(load).min().orElseThrow();
      assertThat(max / mean)
          .as("hottest expert vs mean load %s", java.util.Arrays.toString(load))
          .isGreaterThan(1.5);
      assertThat(min)
          .as("every expert still gets tokens %s", java.util.Arrays.toString(load))
          .isPositive();
    }
  }

  @Test
  void invalidSpecNamesTheOption() {
    assertThatThrownBy(() -> ModelFixtures.tiny().toBuilder().topK(9).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid top-k: 9 (expected: 1 <= top-k <= experts 8)");
    assertThatThrownBy(() -> ModelFixtures.tiny().toBuilder().kvHeads(3).build())
        .hasMessage("Invalid kv-heads: 3 (expected: a divisor of heads 4)");
    assertThatThrownBy(() -> ModelSpec.Preset.parse("huge"))
        .hasMessage("Invalid preset: huge (expected: one of tiny, seed-4x16)");
  }

  @Test
  void tokenRowsAreDeterministicAndInRange() {
    TokenGenerator generator = new TokenGenerator(7, 3, 9, 50);
    for (long id = 0; id < 200; id++) {
      int[] row = generator.tokens(id);
      assertThat(row.length).isBetween(3, 9);
      assertThat(java.util.Arrays.stream(row).min().orElseThrow()).isNotNegative();
      assertThat(java.util.Arrays.stream(row).max().orElseThrow()).isLessThan(50);
      assertThat(generator.tokens(id)).isEqualTo(row);
    }
    assertThat(new TokenGenerator(8, 3, 9, 50).tokens(5)).isNotEqualTo(generator.tokens(5));
  }
}
