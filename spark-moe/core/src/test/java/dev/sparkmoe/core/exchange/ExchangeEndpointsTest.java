package dev.sparkmoe.core.exchange;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.batch.ActivationDtype;
import dev.sparkmoe.core.batch.Allocators;
import dev.sparkmoe.core.batch.CombineBatch;
import dev.sparkmoe.core.batch.DispatchBatch;
import dev.sparkmoe.core.batch.TokenBatchCodec;
import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.forward.ReferenceForward;
import dev.sparkmoe.core.generate.TokenGenerator;
import dev.sparkmoe.core.model.DenseWeights;
import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.pipeline.ExpertWorker;
import dev.sparkmoe.core.pipeline.OwnerState;
import dev.sparkmoe.core.pipeline.TokenOwner;
import dev.sparkmoe.core.placement.PlacementPlan;
import dev.sparkmoe.core.placement.PlacementPolicy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exchange's two endpoints wired through the {@link InProcessExchange}: rows embedded in their
 * canonical order, every batch encoded, and the statistics every exchange reports.
 */
class ExchangeEndpointsTest {
  private static final int ROWS = 13;

  @TempDir static Path temp;
  private static MoeModel model;
  private static DenseWeights dense;
  private static CpuExpertBackend backend;
  private final Random random = new Random();
  private BufferAllocator allocator;
  private TokenBatchCodec codec;

  @BeforeAll
  static void open() {
    model = MoeModel.open(ModelFixtures.tinyMixtral(temp.resolve("m")));
    dense = model.loadDense();
    backend = new CpuExpertBackend();
  }

  @AfterAll
  static void close() {
    model.close();
  }

  @BeforeEach
  void openAllocator() {
    allocator = Allocators.root("exchange-endpoints-test");
    codec = new TokenBatchCodec(allocator);
  }

  @AfterEach
  void closeAllocator() {
    allocator.close();
  }

  /**
   * Rows handed over in a random order come out sorted by id, and with f32 on the wire each row's
   * final hidden state is the reference forward's, bit for bit.
   */
  @Test
  void forwardThroughTheExchangeMatchesTheReferenceBitForBit() {
    PlacementPlan plan = PlacementPlan.of(PlacementPolicy.ONE_PER_GPU, 2, 8, 16);
    OwnerSide side = new OwnerSide(owner(plan), codec, ActivationDtype.F32);
    InProcessExchange exchange = exchange();
    List<int[]> rows = rows();
    List<Integer> shuffled = new ArrayList<>();
    for (int r = 0; r < ROWS; r++) {
      shuffled.add(r);
    }
    Collections.shuffle(shuffled, random);
    OwnerState state =
        side.embed(
            0,
            shuffled.stream().map(r -> (Object) (long) r).toList(),
            shuffled.stream().map(rows::get).toList());
    assertThat(state.ids()).as("canonical order: by id").containsExactly(sortedIds());

    side.forward(state, model.config().numLayers(), exchange);
    FinalHidden actual = side.finish(state);
    FinalHidden reference = new ReferenceForward(model, dense, backend).run(rows);
    assertThat(actual.rowOffsets()).isEqualTo(reference.rowOffsets());
    assertThat(bits(actual.states()))
        .as("f32 on the wire: the reference forward's arithmetic, operation for operation")
        .isEqualTo(bits(reference.states()));
  }

  /** Owners count what they route and send; slots count what they receive, compute and send. */
  @Test
  void endpointsCountTokensBytesAndExperts() {
    PlacementPlan plan = PlacementPlan.of(PlacementPolicy.SHARED_LAYERS, 2, 8, 2);
    OwnerSide side = new OwnerSide(owner(plan), codec, ActivationDtype.BF16);
    InProcessExchange exchange = exchange();
    List<int[]> rows = rows();
    OwnerState state = side.embed(3, Arrays.asList(sortedIds()), rows);
    List<OwnerStats> owner = side.forward(state, model.config().numLayers(), exchange);

    int topK = model.config().topK();
    long tokens = state.numTokens();
    assertThat(owner).extracting(OwnerStats::tokens).containsOnly(tokens);
    assertThat(owner.get(0).bytesIn()).as("nothing combined before layer 0").isZero();
    for (int layer = 0; layer < owner.size(); layer++) {
      List<ExpertStats> slots = layerStats(exchange.stats(), layer);
      assertThat(slots).extracting(ExpertStats::tokens).as("layer %d", layer).doesNotContain(0L);
      assertThat(slots.stream().mapToLong(ExpertStats::tokens).sum())
          .as("layer %d: every token to its top-%d experts", layer, topK)
          .isEqualTo(tokens * topK);
      assertThat(slots.stream().flatMapToLong(s -> Arrays.stream(s.tokensPerExpert())).sum())
          .isEqualTo(tokens * topK);
      assertThat(slots.stream().mapToLong(ExpertStats::bytesIn).sum())
          .as("layer %d: the slots received what the owner sent", layer)
          .isEqualTo(owner.get(layer).bytesOut());
      if (layer + 1 < owner.size()) {
        assertThat(owner.get(layer + 1).bytesIn())
            .as("layer %d: the owner received what the slots sent", layer)
            .isEqualTo(slots.stream().mapToLong(ExpertStats::bytesOut).sum());
      }
    }
  }

  /** Entries at or below their expert's threshold get no output from it, and are not counted. */
  @Test
  void expertSideDropsEntriesOverCapacity() {
    int hidden = model.config().hiddenSize();
    int n = 6;
    DispatchBatch batch =
        new DispatchBatch(
            1,
            4,
            hidden,
            new long[] {0, 1, 2, 3, 4, 5},
            new int[n],
            new int[] {0, 1, 0, 1, 0, 1},
            new float[] {0.9f, 0.8f, 0.2f, 0.7f, 0.6f, 0.1f},
            floats(n * hidden));
    float[] thresholds = new float[model.config().numExperts()];
    Arrays.fill(thresholds, Float.NEGATIVE_INFINITY);
    thresholds[0] = 0.5f;
    List<ExpertStats> reported = new ArrayList<>();
    ExpertSide slot =
        new ExpertSide(
            /* layer= */ 0,
            /* slot= */ 1,
            worker(),
            codec,
            ActivationDtype.F32,
            List.of(codec.encode(batch, ActivationDtype.F32)).iterator(),
            model.config().numExperts(),
            thresholds,
            reported::add);
    ReturnBatch returned = slot.next();
    CombineBatch out = codec.decodeCombine(returned.arrowIpc());
    assertThat(returned.partition()).isEqualTo(4);
    assertThat(out.rowKeys()).as("row 2 (weight 0.2 <= 0.5 of expert 0) dropped").hasSize(5);
    assertThat(out.rowKeys()).doesNotContain(2L);
    assertThat(slot.hasNext()).isFalse();
    assertThat(slot.hasNext()).isFalse();
    assertThat(reported).as("statistics handed over once").hasSize(1);
    ExpertStats stats = reported.get(0);
    assertThat(stats.tokens()).isEqualTo(5);
    assertThat(stats.tokensPerExpert()[0]).isEqualTo(2);
    assertThat(stats.tokensPerExpert()[1]).isEqualTo(3);
    assertThat(stats.bytesOut()).isEqualTo(returned.arrowIpc().length);
    assertThatThrownBy(slot::next).isInstanceOf(NoSuchElementException.class).hasMessage(null);
  }

  @Test
  void aTruncatedDispatchBatchNamesItsLayerAndSlot() {
    DispatchBatch batch =
        new DispatchBatch(
            2,
            0,
            model.config().hiddenSize(),
            new long[] {0},
            new int[1],
            new int[] {0},
            new float[] {1f},
            floats(model.config().hiddenSize()));
    byte[] whole = codec.encode(batch, ActivationDtype.F32);
    ExpertSide slot =
        new ExpertSide(
            /* layer= */ 2,
            /* slot= */ 5,
            worker(),
            codec,
            ActivationDtype.F32,
            List.of(Arrays.copyOf(whole, whole.length / 2)).iterator(),
            model.config().numExperts(),
            /* thresholds= */ null,
            stats -> {});

    assertThatThrownBy(slot::next)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Cannot decode dispatch batch of layer 2 for slot 5: ");
  }

  @Test
  void statisticsAddUpOverWaves() {
    ExpertStats a = new ExpertStats(3, 10, 20, 30, 40, 50, new long[] {1, 2});
    ExpertStats b = new ExpertStats(4, 1, 2, 3, 4, 5, new long[] {5, 6, 7});
    assertThat(a.plus(b))
        .usingRecursiveComparison()
        .isEqualTo(new ExpertStats(7, 11, 22, 33, 44, 55, new long[] {6, 8, 7}));
    assertThat(new OwnerStats(1, 2, 3, 4, 5).plus(new OwnerStats(10, 20, 30, 40, 50)))
        .isEqualTo(new OwnerStats(11, 22, 33, 44, 55));
  }

  private static List<ExpertStats> layerStats(Map<Long, ExpertStats> stats, int layer) {
    List<ExpertStats> out = new ArrayList<>();
    stats.forEach((key, value) -> out.add((int) (key >>> 32) == layer ? value : null));
    out.removeIf(s -> s == null);
    return out;
  }

  private static TokenOwner owner(PlacementPlan plan) {
    return new TokenOwner(model.config(), dense, plan);
  }

  private InProcessExchange exchange() {
    return new InProcessExchange(worker(), codec, ActivationDtype.F32, model.config().numExperts());
  }

  private static ExpertWorker worker() {
    return new ExpertWorker(backend, (l, e) -> backend.upload(model.loadExpert(l, e)));
  }

  private static List<int[]> rows() {
    TokenGenerator generator = new TokenGenerator(5, 1, 20, model.config().vocabSize());
    List<int[]> rows = new ArrayList<>();
    for (long id = 0; id < ROWS; id++) {
      rows.add(generator.tokens(id));
    }
    return rows;
  }

  private static Object[] sortedIds() {
    Object[] ids = new Object[ROWS];
    for (int r = 0; r < ROWS; r++) {
      ids[r] = (long) r;
    }
    return ids;
  }

  private float[] floats(int length) {
    float[] values = new float[length];
    for (int i = 0; i < length; i++) {
      values[i] = (float) random.nextGaussian() + Float.MIN_NORMAL;
    }
    return values;
  }

  private static int[] bits(float[] values) {
    int[] out = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = Float.floatToIntBits(values[i]);
    }
    return out;
  }
}
