package dev.sparkmoe.core.forward;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.generate.TokenGenerator;
import dev.sparkmoe.core.model.DenseWeights;
import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.routing.Routing;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The decoder loop with a swappable expert step, whole or step by step. */
class DecoderLoopTest {
  @TempDir static Path temp;
  private static MoeModel model;
  private static DenseWeights dense;
  private static CpuExpertBackend backend;
  private static MoeBlock experts;

  @BeforeAll
  static void open() {
    model = MoeModel.open(ModelFixtures.tinyMixtral(temp.resolve("m")));
    dense = model.loadDense();
    backend = new CpuExpertBackend();
    experts =
        new MoeBlock(
            model.config().hiddenSize(), backend, (l, e) -> backend.upload(model.loadExpert(l, e)));
  }

  @AfterAll
  static void close() {
    backend.close();
    model.close();
  }

  private static List<int[]> rows() {
    TokenGenerator generator = new TokenGenerator(11, 1, 17, model.config().vocabSize());
    return List.of(generator.tokens(0), new int[0], generator.tokens(1), generator.tokens(2));
  }

  @Test
  void steppedLoopIsTheWholeLoopBitForBit() {
    DecoderLoop loop = new DecoderLoop(model.config(), dense);
    List<int[]> rows = rows();
    FinalHidden whole = loop.run(rows, experts);

    int[] offsets = DecoderLoop.rowOffsets(rows);
    float[] residual = loop.embed(rows);
    float[] x = new float[residual.length];
    for (int layer = 0; layer < model.config().numLayers(); layer++) {
      Routing routing = loop.layer(layer, residual, offsets, x);
      DecoderLoop.addExperts(residual, experts.apply(layer, routing, x));
    }
    FinalHidden stepped = loop.finish(residual, offsets);

    assertThat(stepped.rowOffsets()).containsExactly(whole.rowOffsets());
    assertThat(stepped.states())
        .as("same operations in the same order")
        .containsExactly(whole.states());
  }

  @Test
  void expertStepSeesEveryMoeLayerOnceInOrderAndItsOutputReachesTheResidual() {
    DecoderLoop loop = new DecoderLoop(model.config(), dense);
    List<int[]> rows = rows();
    int total = DecoderLoop.rowOffsets(rows)[rows.size()];
    List<Integer> layers = new ArrayList<>();
    FinalHidden withExperts = loop.run(rows, experts);
    FinalHidden withoutExperts =
        loop.run(
            rows,
            (layer, routing, x) -> {
              layers.add(layer);
              assertThat(routing.numTokens())
                  .as("layer %d routes every token", layer)
                  .isEqualTo(total);
              return new float[x.length];
            });

    assertThat(layers).as("tiny: 2 MoE layers").containsExactly(0, 1);
    assertThat(HuggingFaceParityTest.relativeError(withoutExperts.states(), withExperts.states()))
        .as("the routed experts change the hidden states")
        .isGreaterThan(1e-3);
  }

  @Test
  void referenceForwardIsTheLoopWithResidentExperts() {
    List<int[]> rows = List.of(rows().get(0), rows().get(2));
    FinalHidden loop = new DecoderLoop(model.config(), dense).run(rows, experts);
    FinalHidden reference = new ReferenceForward(model, dense, backend).run(rows);

    assertThat(reference.states()).containsExactly(loop.states());
  }
}
