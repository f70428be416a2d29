package dev.sparkmoe.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.batch.ActivationDtype;
import dev.sparkmoe.core.batch.Allocators;
import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.forward.ReferenceForward;
import dev.sparkmoe.core.generate.TokenGenerator;
import dev.sparkmoe.core.model.DenseWeights;
import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.placement.PlacementPlan;
import dev.sparkmoe.core.placement.PlacementPolicy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The pipeline's owner and expert halves wired together in one process, every batch through Arrow
 * IPC, against the reference forward. With f32 activations the two must agree bit for bit, whatever
 * the placement and the number of owner partitions, because the arithmetic is the same and the
 * combine order is fixed.
 */
class InProcessPipelineTest {
  @TempDir static Path temp;
  private static MoeModel model;
  private static DenseWeights dense;
  private static List<int[]> rows;
  private static FinalHidden reference;
  private BufferAllocator allocator;

  @BeforeAll
  static void setUp() {
    model = MoeModel.open(ModelFixtures.tinyMixtral(temp.resolve("m")));
    dense = model.loadDense();
    TokenGenerator generator = new TokenGenerator(21, 1, 30, model.config().vocabSize());
    rows = new ArrayList<>();
    for (long id = 0; id < 17; id++) {
      rows.add(generator.tokens(id));
    }
    reference = new ReferenceForward(model, dense, new CpuExpertBackend()).run(rows);
  }

  @AfterAll
  static void tearDown() {
    model.close();
  }

  @BeforeEach
  void openAllocator() {
    allocator = Allocators.root("in-process-pipeline-test");
  }

  @AfterEach
  void closeAllocator() {
    allocator.close();
  }

  @ParameterizedTest(name = "{0} over {1} slots")
  @CsvSource({"shared-layers, 2", "one-per-gpu, 16", "colocate:4, 4"})
  void onePartitionMatchesReferenceBitForBit(String policy, int slots) {
    float[] pipeline =
        run(PlacementPlan.of(PlacementPolicy.parse(policy), 2, 8, slots), 1, ActivationDtype.F32);
    assertThat(mismatches(pipeline, reference.states()))
        .as(
            "elements that differ from the reference forward (same token grouping, same arithmetic)")
        .isZero();
  }

  /**
   * With several owner partitions each expert sees its tokens in other groups than the reference
   * does; every product whose row count depends on the grouping runs in fixed row blocks ({@code
   * RowBlockGemm}), so the bits still match the reference, whatever the placement.
   */
  @ParameterizedTest(name = "{0} owner partitions")
  @ValueSource(ints = {2, 3, 8})
  void anyPartitioningAndPlacementMatchesReferenceBitForBit(int partitions) {
    float[] shared =
        run(
            PlacementPlan.of(PlacementPolicy.SHARED_LAYERS, 2, 8, 2),
            partitions,
            ActivationDtype.F32);
    float[] spread =
        run(
            PlacementPlan.of(PlacementPolicy.ONE_PER_GPU, 2, 8, 16),
            partitions,
            ActivationDtype.F32);
    float[] colocated =
        run(
            PlacementPlan.of(PlacementPolicy.colocate(4), 2, 8, 4),
            partitions,
            ActivationDtype.F32);
    assertThat(mismatches(shared, reference.states()))
        .as("shared-layers vs the reference forward")
        .isZero();
    assertThat(mismatches(spread, shared)).as("one-per-gpu vs shared-layers").isZero();
    assertThat(mismatches(colocated, shared)).as("colocate:4 vs shared-layers").isZero();
  }

  /**
   * Half-precision activations round the MoE input and output once each per layer: about 2^-11
   * (f16) and 2^-8 (bf16) relative per rounding.
   */
  @ParameterizedTest(name = "{0} activations")
  @CsvSource({"F16, 2e-3", "BF16, 5e-3"})
  void halfActivationsStayClose(ActivationDtype dtype, double tolerance) {
    float[] pipeline = run(PlacementPlan.of(PlacementPolicy.SHARED_LAYERS, 2, 8, 2), 2, dtype);
    assertThat(relativeError(pipeline, reference.states()))
        .as("relative error with %s activations", dtype)
        .isLessThan(tolerance)
        .isGreaterThan(1e-6);
  }

  private static long mismatches(float[] actual, float[] expected) {
    assertThat(actual).hasSameSizeAs(expected);
    long count = 0;
    for (int i = 0; i < actual.length; i++) {
      if (Float.floatToIntBits(actual[i]) != Float.floatToIntBits(expected[i])) {
        count++;
      }
    }
    return count;
  }

  private static double relativeError(float[] actual, float[] expected) {
    double diff = 0;
    double norm = 0;
    for (int i = 0; i < actual.length; i++) {
      diff += Math.pow(actual[i] - expected[i], 2);
      norm += Math.pow(expected[i], 2);
    }
    return Math.sqrt(diff / norm);
  }

  private float[] run(PlacementPlan placement, int partitions, ActivationDtype dtype) {
    return InProcessPipeline.run(model, dense, rows, placement, partitions, dtype, allocator)
        .states();
  }
}
