package dev.sparkmoe.core.balance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.batch.ActivationDtype;
import dev.sparkmoe.core.batch.Allocators;
import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.generate.TokenGenerator;
import dev.sparkmoe.core.model.DenseWeights;
import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.pipeline.InProcessPipeline;
import dev.sparkmoe.core.placement.PlacementPlan;
import dev.sparkmoe.core.placement.PlacementPolicy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hot-expert replicas planned from a sampled load, on a generated model whose router favours expert
 * 0, through the in-process pipeline: better balance, same bits.
 */
class HotExpertReplicasTest {
  @TempDir static Path temp;
  private static MoeModel model;
  private static DenseWeights dense;
  private static List<int[]> rows;
  private static RoutingStats stats;

  @BeforeAll
  static void setUp() {
    model =
        MoeModel.open(
            ModelFixtures.write(
                ModelFixtures.tiny().toBuilder().routerSkew(3f).build(), temp.resolve("m")));
    dense = model.loadDense();
    TokenGenerator generator =
        new TokenGenerator(new Random().nextLong(), 1, 40, model.config().vocabSize());
    rows = new ArrayList<>();
    for (long id = 0; id < 48; id++) {
      rows.add(generator.tokens(id));
    }
    try (CpuExpertBackend backend = new CpuExpertBackend()) {
      stats = new RoutingSampler(model, dense, backend).sample(rows);
    }
  }

  @AfterAll
  static void tearDown() {
    model.close();
  }

  @Test
  void theSampleCountsTopKChoicesOfEveryToken() {
    long tokens = rows.stream().mapToLong(r -> r.length).sum();
    assertThat(stats.rows()).isEqualTo(rows.size());
    assertThat(stats.tokens()).isEqualTo(tokens);
    for (int layer = 0; layer < stats.numLayers(); layer++) {
      assertThat(Arrays.stream(stats.load(layer)).sum()).isEqualTo(2 * tokens);
    }
    assertThat(stats.hottestOverMean(0)).as("router skew 3 favours expert 0").isGreaterThan(2);
  }

  @Test
  void replicasRaiseTheBalanceAndKeepTheBits() {
    PlacementPlan base = PlacementPlan.of(PlacementPolicy.SHARED_LAYERS, 2, 8, 12);
    HotExpertReplicas.Result result =
        HotExpertReplicas.apply(base, stats, HotExpertReplicas.Setting.AUTO);
    PlacementPlan replicated = result.plan();
    assertThat(replicated.totalReplicas())
        .as("8 experts on 12 slots: 2 replicas per slot, 2 layers")
        .isEqualTo(2 * 24);
    for (int layer = 0; layer < 2; layer++) {
      assertThat(replicated.layerSlots(layer)).hasSize(12);
      assertThat(result.plannedAfter()[layer])
          .as("layer %d: %s", layer, Arrays.toString(stats.load(layer)))
          .isGreaterThan(result.plannedBefore()[layer]);
      assertThat(replicated.replicaSlots(layer, hottest(stats.load(layer))).length)
          .as("the hottest expert is replicated")
          .isGreaterThan(1);
    }
    FinalHidden plain = run(base);
    FinalHidden balanced = run(replicated);
    assertThat(balanced.states())
        .as("f32: replicas compute the same expert on the same tokens")
        .containsExactly(plain.states());
  }

  @Test
  void noneKeepsThePlanAndTooManyReplicasAreRefused() {
    PlacementPlan base = PlacementPlan.of(PlacementPolicy.SHARED_LAYERS, 2, 8, 2);
    assertThat(HotExpertReplicas.apply(base, stats, HotExpertReplicas.Setting.NONE).plan())
        .isSameAs(base);
    assertThatThrownBy(() -> HotExpertReplicas.apply(base, stats, new HotExpertReplicas.Setting(9)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot replicate the experts of layer 0: 17 replicas do not fit 2 slots with at most"
                + " one replica of an expert per slot (expected: at most 8 extra replicas; lower"
                + " spark.moe.replicas or add slots)");
    assertThatThrownBy(() -> HotExpertReplicas.Setting.parse("many"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid replicas: many (expected: none, auto or a number of extra replicas per layer"
                + " >= 0)");
  }

  private static FinalHidden run(PlacementPlan plan) {
    try (BufferAllocator allocator = Allocators.root("replicas-test")) {
      return InProcessPipeline.run(model, dense, rows, plan, 3, ActivationDtype.F32, allocator);
    }
  }

  private static int hottest(long[] load) {
    int best = 0;
    for (int e = 1; e < load.length; e++) {
      best = load[e] > load[best] ? e : best;
    }
    return best;
  }
}
