package dev.sparkmoe.core.forward;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.batch.ActivationDtype;
import dev.sparkmoe.core.batch.Allocators;
import dev.sparkmoe.core.generate.TokenGenerator;
import dev.sparkmoe.core.model.Architecture;
import dev.sparkmoe.core.model.DenseWeights;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.oracle.HuggingFaceOracle;
import dev.sparkmoe.core.oracle.OracleAssertions;
import dev.sparkmoe.core.pipeline.InProcessPipeline;
import dev.sparkmoe.core.placement.PlacementPlan;
import dev.sparkmoe.core.placement.PlacementPolicy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Qwen2-MoE, Qwen3-MoE, OLMoE and DeepSeek-V3 (pure MoE layers) against {@code transformers}:
 * {@code hf_generate.py} writes an F32 and a BF16 checkpoint of each family with the real model
 * class (fresh random weights, widened init) and runs them, all in one Python process; the
 * reference forward, and the pipeline's owner and expert halves in one process (3 owner partitions,
 * experts over 3 slots), must agree within 1e-4 relative on embeddings, next-token
 * log-probabilities and scores. The variants cover each family's switches: shared experts and their
 * gate, dense layers, norm_topk_prob both ways, attention biases, QK norms, clip_qkv, a sliding
 * window, tied embeddings, group-limited routing.
 */
class FamilyParityTest {
  /** The vocabulary of every hf_generate.py model. */
  private static final int VOCAB = 160;

  private static final List<String> FAMILIES =
      List.of("qwen2_moe", "qwen3_moe", "olmoe", "deepseek_v3");

  @TempDir static Path temp;
  private static long seed;
  private static List<int[]> rows;
  private static Map<String, HuggingFaceOracle.GeneratedModel> models;

  @BeforeAll
  static void generate() {
    seed = new Random().nextLong() >>> 1;
    rows = rows(seed);
    List<String> names = new ArrayList<>();
    for (String family : FAMILIES) {
      names.add(family + "-f32");
      names.add(family + "-bf16");
    }
    models = new HashMap<>();
    for (HuggingFaceOracle.GeneratedModel model :
        HuggingFaceOracle.locate().generate(temp, seed, rows, names)) {
      models.put(model.name(), model);
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "qwen2_moe, QWEN2_MOE",
    "qwen3_moe, QWEN3_MOE",
    "olmoe, OLMOE",
    "deepseek_v3, DEEPSEEK_V3"
  })
  void matchesTransformers(String family, Architecture architecture) {
    for (String variant : List.of("-f32", "-bf16")) {
      HuggingFaceOracle.GeneratedModel generated = models.get(family + variant);
      String label = generated.name() + " (seed " + seed + ")";
      try (MoeModel model = MoeModel.open(generated.directory());
          BufferAllocator allocator = Allocators.root("family-parity")) {
        assertThat(model.config().architecture()).as(label).isEqualTo(architecture);
        DenseWeights dense = model.loadDense();
        ReferenceForward forward = new ReferenceForward(model, dense, new CpuExpertBackend());
        OracleAssertions.assertMatches(
            "reference forward, " + label,
            forward.head(),
            forward.run(rows),
            rows,
            generated.rows());
        PlacementPlan placement =
            PlacementPlan.of(
                PlacementPolicy.parse("shared-layers"),
                model.config().numLayers(),
                model.config().numExperts(),
                3);
        FinalHidden pipeline =
            InProcessPipeline.run(model, dense, rows, placement, 3, ActivationDtype.F32, allocator);
        OracleAssertions.assertMatches(
            "in-process pipeline, " + label, forward.head(), pipeline, rows, generated.rows());
      }
    }
  }

  /** A single token, then rows up to 48 tokens: longer than the sliding window of qwen3_moe-f32. */
  private static List<int[]> rows(long seed) {
    TokenGenerator generator = new TokenGenerator(seed, 1, 48, VOCAB);
    List<int[]> rows = new ArrayList<>();
    rows.add(new int[] {(int) (seed % VOCAB)});
    for (long id = 0; id < 5; id++) {
      rows.add(generator.tokens(id));
    }
    return rows;
  }
}
