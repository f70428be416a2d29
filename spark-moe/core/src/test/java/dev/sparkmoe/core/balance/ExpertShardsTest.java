package dev.sparkmoe.core.balance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.backend.ResidentExpert;
import dev.sparkmoe.core.model.ExpertWeights;
import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.placement.PlacementPolicy;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tensor-parallel shards of an expert: slices of the checkpoint, partial outputs that sum up. */
class ExpertShardsTest {
  @TempDir Path temp;

  @Test
  void shardsAreSlicesAndTheirOutputsSumToTheUnsplitExpert() {
    Random random = new Random();
    try (MoeModel model =
            MoeModel.open(
                ModelFixtures.write(
                    ModelFixtures.tiny().toBuilder().seed(random.nextLong()).build(),
                    temp.resolve("m")));
        CpuExpertBackend backend = new CpuExpertBackend()) {
      ExpertWeights whole = model.loadExpert(1, 5);
      int hidden = whole.hidden();
      int tokens = 7;
      float[] input = new float[tokens * hidden];
      for (int i = 0; i < input.length; i++) {
        input[i] = (float) random.nextGaussian();
      }
      float[] expected = compute(backend, whole, input, tokens);
      for (int shards : new int[] {2, 3, 5}) {
        float[] sum = new float[expected.length];
        int width = 0;
        for (int shard = 0; shard < shards; shard++) {
          ExpertWeights part = model.loadExpertShard(1, 5, shard, shards);
          width += part.ffn();
          float[] out = compute(backend, part, input, tokens);
          for (int i = 0; i < sum.length; i++) {
            sum[i] += out[i];
          }
        }
        assertThat(width).as("%d shards cover the FFN width", shards).isEqualTo(whole.ffn());
        assertThat(relativeError(sum, expected))
            .as("%d shards: the down projection's sum split in partial sums (f32 rounding)", shards)
            .isLessThan(1e-6);
      }
    }
  }

  @Test
  void theSlotMemoryDecidesTheShards() {
    long bytes = ExpertShards.expertBytes(64, 96);
    assertThat(bytes).as("3 x 64 x 96 x 4").isEqualTo(73_728);
    PlacementPolicy one = PlacementPolicy.ONE_PER_GPU;
    assertThat(ExpertShards.choose(one, 2, 8, 64, 64, 96, bytes)).isEqualTo(1);
    assertThat(ExpertShards.choose(one, 2, 8, 64, 64, 96, bytes - 1))
        .as("one expert per slot, a byte short: halves")
        .isEqualTo(2);
    assertThat(ExpertShards.choose(one, 2, 8, 64, 64, 96, bytes / 4))
        .as("a quarter of an expert per slot")
        .isEqualTo(4);
    assertThatThrownBy(() -> ExpertShards.choose(one, 2, 8, 32, 64, 96, bytes / 4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot fit the experts into spark.moe.slot-memory 18432 bytes with one-per-gpu on 32"
                + " slots: the fullest slot needs at least 36864 bytes (experts of 73728 bytes in"
                + " f32) with any expert-tp. Raise spark.moe.slot-memory, add slots (--slots) or"
                + " choose a placement with fewer experts per slot");
  }

  @Test
  void shardIndicesAreChecked() {
    try (MoeModel model = MoeModel.open(ModelFixtures.tinyMixtral(temp.resolve("t")))) {
      assertThatThrownBy(() -> model.loadExpertShard(0, 0, 2, 2))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "Invalid expert shard: 2 of 2 (expected: 0 <= shard < shards <= 96, the FFN width)");
    }
  }

  private static float[] compute(
      CpuExpertBackend backend, ExpertWeights weights, float[] input, int tokens) {
    ResidentExpert resident = backend.upload(weights);
    float[] out = new float[input.length];
    backend.compute(resident, input, tokens, out);
    return out;
  }

  private static double relativeError(float[] actual, float[] expected) {
    double diff = 0;
    double norm = 0;
    for (int i = 0; i < expected.length; i++) {
      diff += Math.pow(actual[i] - expected[i], 2);
      norm += Math.pow(expected[i], 2);
    }
    return Math.sqrt(diff / norm);
  }
}
