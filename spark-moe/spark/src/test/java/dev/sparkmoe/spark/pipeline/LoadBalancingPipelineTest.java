package dev.sparkmoe.spark.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.forward.DecoderStage;
import dev.sparkmoe.core.generate.TokenGenerator;
import dev.sparkmoe.core.model.DenseWeights;
import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.routing.Routing;
import dev.sparkmoe.spark.SparkTestSession;
import dev.sparkmoe.spark.sql.InferenceFixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Load balancing in local Spark (Kryo with registration required) on a generated model whose router
 * favours expert 0: the sampled routing load, hot-expert replicas and expert data parallelism (same
 * bits as without), and expert capacity (drops counted, independent of partitioning).
 */
class LoadBalancingPipelineTest {
  private static final int ROWS = 48;

  @TempDir static Path temp;
  private static SparkSession spark;
  private static String model;
  private static List<int[]> tokens;
  private static Dataset<Row> input;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.startWithKryo("LoadBalancingPipelineTest");
    model =
        ModelFixtures.write(
                ModelFixtures.tiny().toBuilder().routerSkew(3f).build(), temp.resolve("skewed"))
            .toString();
    TokenGenerator generator = new TokenGenerator(new Random().nextLong(), 1, 32, 512);
    tokens = new ArrayList<>();
    for (long id = 0; id < ROWS; id++) {
      tokens.add(generator.tokens(id));
    }
    input = table(tokens);
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  @Test
  void theSampledLoadIsTheMeasuredLoadWhenTheSampleCoversTheInput() {
    RunReport report = inference().sampleRows(1000).slots(2).partitions(2).run(input).report();
    RunReport.LoadBalance balance = report.loadBalance();
    assertThat(balance.sampleRows()).isEqualTo(ROWS + 1);
    assertThat(balance.sampleTokens()).isEqualTo(report.tokens());
    for (RunReport.Layer layer : report.layers()) {
      assertThat(balance.sampledTokensPerExpert()[layer.layer()])
          .as("driver sample vs the expert tasks' counts, layer %d", layer.layer())
          .containsExactly(layer.tokensPerExpert());
    }
    assertThat(balance.replicas()).isEqualTo("none");
    assertThat(balance.droppedTokens()).isZero();
    assertThat(balance.capacity()).isEqualTo(-1);
    assertThat(report.toJson()).contains("\"sampledTokensPerExpert\"");
  }

  @Test
  void hotExpertReplicasKeepTheBitsAndEvenTheSlots() {
    MoeInference base = inference().slots(12).partitions(3);
    MoeInference.MoeRun plain = base.run(input);
    MoeInference.MoeRun replicated = base.replicas("auto").run(input);
    assertBitIdentical(embeddings(replicated), embeddings(plain), "replicas auto");
    RunReport.LoadBalance balance = replicated.report().loadBalance();
    for (int layer = 0; layer < 2; layer++) {
      RunReport.Layer before = plain.report().layers().get(layer);
      RunReport.Layer after = replicated.report().layers().get(layer);
      assertThat(after.slots()).as("4 spare slots used").hasSize(12);
      assertThat(Arrays.stream(balance.replicasPerExpert()[layer]).sum())
          .as("auto: 2 replicas on each of 12 slots")
          .isEqualTo(24);
      assertThat(after.balance())
          .as("layer %d measured balance, plain %s", layer, before.balance())
          .isGreaterThan(before.balance());
      assertThat(balance.plannedBalanceAfter()[layer])
          .isGreaterThan(balance.plannedBalanceBefore()[layer]);
    }
    assertThat(replicated.report().placement()).contains("hot-expert replicas");
  }

  @Test
  void laterWavesReplicateFromTheLoadEarlierWavesMeasured() {
    MoeInference base = inference().slots(12).partitions(3);
    MoeInference.MoeRun plain = base.run(input);
    MoeInference.MoeRun waves = base.replicas("auto").sampleRows(0).waveRows(ROWS / 3).run(input);

    assertBitIdentical(embeddings(waves), embeddings(plain), "replicas planned between waves");
    RunReport.LoadBalance balance = waves.report().loadBalance();
    assertThat(balance.sampleRows()).as("no driver sample").isZero();
    for (int layer = 0; layer < 2; layer++) {
      long[] measured = plain.report().layers().get(layer).tokensPerExpert();
      long[] planned = balance.sampledTokensPerExpert()[layer];
      assertThat(Arrays.stream(planned).sum())
          .as("layer %d: the waves before the last counted", layer)
          .isPositive()
          .isLessThan(Arrays.stream(measured).sum());
      assertThat(Arrays.stream(balance.replicasPerExpert()[layer]).sum())
          .as("layer %d: auto, 2 replicas on each of 12 slots, from the measured load", layer)
          .isEqualTo(24);
    }
    assertThat(waves.report().placement()).contains("hot-expert replicas");
  }

  @Test
  void placementAutoReplicatesForTheSkewedLoad() {
    // Priced as a GPU cluster, auto places experts on slots (in-task is for Spark CPU clusters).
    spark.conf().set("spark.moe.cluster", "h100-1x8");
    MoeInference.MoeRun auto;
    try {
      auto = inference().placement("auto").slots(12).partitions(3).run(input);
    } finally {
      spark.conf().unset("spark.moe.cluster");
    }
    Map<Long, float[]> plain = embeddings(inference().slots(12).partitions(3).run(input));
    Map<Long, float[]> out = embeddings(auto);
    for (long id = 0; id < ROWS; id++) {
      assertThat(InferenceFixtures.relativeError(out.get(id), plain.get(id)))
          .as("row %d", id)
          .isLessThan(1e-5);
    }
    RunReport.LoadBalance balance = auto.report().loadBalance();
    assertThat(balance.replicas())
        .as("router skew 3: a hot expert gains from replicas (%s)", auto.report().placement())
        .isEqualTo("auto (chosen by placement auto)");
    assertThat(Arrays.stream(balance.replicasPerExpert()[0]).sum()).isGreaterThan(8);
  }

  @Test
  void placementAutoRunsInTaskOnOneCpuMachine() {
    MoeInference.MoeRun auto = inference().placement("auto").slots(12).partitions(3).run(input);
    assertThat(auto.report().placement())
        .as("the experts fit the driver's heap and no exchange is cheaper than any")
        .startsWith("in-task");
    assertThat(auto.report().loadBalance().replicas()).isEqualTo("none");
    assertThat(auto.report().placementReason())
        .isEqualTo("fastest by the cost model, and every expert fits an executor's memory");
  }

  @Test
  void placementAutoLeavesInTaskOutUnderACapacityFactor() {
    MoeInference.MoeRun auto =
        inference().placement("auto").capacityFactor(1.0).slots(12).partitions(3).run(input);

    assertThat(auto.report().placement())
        .as("in-task computes every routed token and refuses a capacity factor")
        .doesNotStartWith("in-task");
    assertThat(auto.report().placementReason())
        .isEqualTo(
            "fastest by the cost model; in-task left out: capacity-factor 1.0 is set and in-task"
                + " computes every routed token");
    assertThat(auto.report().loadBalance().droppedTokens())
        .as("router skew 3 at capacity factor 1: the hot expert drops tokens")
        .isPositive();
  }

  @Test
  void dataParallelCopiesKeepTheBits() {
    MoeInference base = inference().partitions(3);
    MoeInference.MoeRun one = base.slots(2).run(input);
    MoeInference.MoeRun two = base.slots(4).dataParallel(2).run(input);
    assertBitIdentical(embeddings(two), embeddings(one), "data-parallel 2");
    assertThat(two.report().loadBalance().dataParallel()).isEqualTo(2);
    for (RunReport.Layer layer : two.report().layers()) {
      assertThat(layer.slots()).extracting(RunReport.SlotRun::slot).containsExactly(0, 1, 2, 3);
    }
  }

  @Test
  void capacityResultsDoNotDependOnPartitioning() {
    MoeInference.MoeRun one = inference().capacityFactor(1.0).partitions(1).run(input);
    MoeInference.MoeRun three = inference().capacityFactor(1.0).partitions(3).run(input);
    assertBitIdentical(embeddings(three), embeddings(one), "capacity, 3 vs 1 partitions");
    assertThat(three.report().loadBalance().droppedTokensPerExpert())
        .isDeepEqualTo(one.report().loadBalance().droppedTokensPerExpert());
  }

  @Test
  void capacityDropsTheLowestWeightsAndCountsThem() {
    double factor = 1.0;
    MoeInference.MoeRun three = inference().capacityFactor(factor).partitions(3).run(input);
    RunReport.LoadBalance balance = three.report().loadBalance();
    long totalTokens = tokens.stream().mapToLong(r -> r.length).sum();
    long capacity = (long) Math.ceil(factor * totalTokens * 2 / 8);
    assertThat(balance.capacity()).isEqualTo(capacity);
    assertThat(balance.capacityFactor()).isEqualTo(factor);
    assertThat(balance.droppedTokensPerExpert()[0])
        .as(
            "layer 0, capacity %d: recomputed from the routing by sorting each expert's weights",
            capacity)
        .containsExactly(droppedInLayer0(capacity));
    assertThat(balance.droppedTokensPerExpert()[0][0]).as("the hot expert overflows").isPositive();
    long computed = Arrays.stream(three.report().layers().get(0).tokensPerExpert()).sum();
    assertThat(computed + Arrays.stream(balance.droppedTokensPerExpert()[0]).sum())
        .isEqualTo(2 * totalTokens);
    assertThat(balance.droppedTokens())
        .isEqualTo(
            Arrays.stream(balance.droppedTokensPerExpert()).flatMapToLong(Arrays::stream).sum());
  }

  /**
   * Not bit-identical: each shard sums its slice of the FFN width, and the combine adds the
   * partials, so the down projection's sum is rounded in other places; f32 rounding keeps it far
   * inside 1e-5 relative (the pipeline's tolerance against the reference forward).
   */
  @Test
  void expertTensorParallelStaysWithinRoundingOfTheUnsplitRun() {
    MoeInference base = inference().partitions(3);
    Map<Long, float[]> whole = embeddings(base.slots(2).run(input));
    MoeInference.MoeRun split = base.slots(4).expertTp(2).run(input);
    Map<Long, float[]> out = embeddings(split);
    for (long id = 0; id < ROWS; id++) {
      assertThat(InferenceFixtures.relativeError(out.get(id), whole.get(id)))
          .as("row %d", id)
          .isLessThan(1e-5);
    }
    assertThat(out.get(1000L)).isNull();
    assertThat(split.report().loadBalance().expertTp()).isEqualTo(2);
    assertThat(split.report().placement()).contains("expert-tp 2");
    for (RunReport.Layer layer : split.report().layers()) {
      assertThat(layer.slots()).extracting(RunReport.SlotRun::slot).containsExactly(0, 1, 2, 3);
    }
  }

  @Test
  void theSlotMemoryPicksTheShards() {
    MoeInference.MoeRun run =
        inference()
            .placement("one-per-gpu")
            .slots(32)
            .slotMemory(Long.toString(3L * 64 * 96 * 4 / 2))
            .partitions(2)
            .run(input);
    assertThat(run.report().loadBalance().expertTp())
        .as("one f32 expert (73,728 bytes) per slot, half of that allowed")
        .isEqualTo(2);
    assertThat(run.report().layers().get(0).slots()).hasSize(16);
  }

  @Test
  void aLargeCapacityDropsNothing() {
    MoeInference base = inference().partitions(2);
    MoeInference.MoeRun dropless = base.run(input);
    MoeInference.MoeRun roomy = base.capacityFactor(100).run(input);
    assertThat(roomy.report().loadBalance().droppedTokens()).isZero();
    assertBitIdentical(embeddings(roomy), embeddings(dropless), "capacity factor 100");
  }

  @Test
  void badOptionsSayWhatIsWrong() {
    assertThatThrownBy(() -> inference().capacityFactor(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid capacity factor: -1.0 (expected: a positive number; unset for dropless)");
    assertThatThrownBy(() -> inference().option("capacity-factor", "lots"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid capacity factor: lots (expected: a positive number, or none for dropless)");
    assertThatThrownBy(() -> inference().replicas("some"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid replicas: some (expected: none, auto or a number of extra replicas per layer"
                + " >= 0)");
    assertThatThrownBy(() -> inference().slotMemory("lots"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid slot-memory: lots (expected: a positive number of bytes, e.g. 268435456 or"
                + " 256m)");
    assertThatThrownBy(() -> inference().expertTp(2).dataParallel(2).run(input))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Cannot combine expert-tp 2 with data-parallel 2 or replicas none: choose one");
    assertThatThrownBy(() -> inference().sampleRows(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid sample-rows: -1 (expected: an integer >= 0)");
    assertThatThrownBy(() -> inference().dataParallel(2).replicas("auto").run(input))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot combine data-parallel 2 with replicas auto: choose one (data-parallel copies"
                + " every expert, replicas copy the hot ones)");
    assertThatThrownBy(
            () -> inference().placement("one-per-gpu").slots(16).dataParallel(2).run(input))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot place data-parallel 2 with one-per-gpu on 16 slots: one copy of the experts"
                + " needs 16 slots, 2 need 32. Add executors or GPUs, set spark.moe.slots"
                + " (--slots), lower spark.moe.data-parallel (--data-parallel), or choose a"
                + " placement with more experts per slot");
  }

  /** Layer 0 sees the embeddings, whatever is dropped: drops recomputed from its routing. */
  private static long[] droppedInLayer0(long capacity) {
    try (MoeModel opened = MoeModel.open(Path.of(model))) {
      DenseWeights dense = opened.loadDense();
      int hidden = opened.config().hiddenSize();
      List<List<Float>> weights = new ArrayList<>();
      for (int e = 0; e < 8; e++) {
        weights.add(new ArrayList<>());
      }
      for (int[] row : tokens) {
        float[] h = new float[row.length * hidden];
        for (int t = 0; t < row.length; t++) {
          System.arraycopy(dense.embedding(), row[t] * hidden, h, t * hidden, hidden);
        }
        Routing routing =
            new DecoderStage(opened.config(), dense)
                .run(0, h, new int[] {0, row.length}, new float[h.length]);
        for (int i = 0; i < routing.experts().length; i++) {
          weights.get(routing.experts()[i]).add(routing.weights()[i]);
        }
      }
      long[] dropped = new long[8];
      for (int e = 0; e < 8; e++) {
        List<Float> sorted = weights.get(e);
        sorted.sort(java.util.Collections.reverseOrder());
        if (sorted.size() > capacity) {
          float threshold = sorted.get((int) capacity);
          dropped[e] = sorted.stream().filter(w -> w <= threshold).count();
        }
      }
      return dropped;
    }
  }

  private static void assertBitIdentical(
      Map<Long, float[]> actual, Map<Long, float[]> expected, String what) {
    assertThat(actual).hasSameSizeAs(expected);
    assertThat(expected.get(1000L)).as("a row without tokens has a null output").isNull();
    assertThat(actual.get(1000L)).as("%s, row without tokens", what).isNull();
    for (long id = 0; id < ROWS; id++) {
      assertThat(actual.get(id)).as("%s, row %d", what, id).containsExactly(expected.get(id));
    }
  }

  private static MoeInference inference() {
    return MoeInference.of(model);
  }

  private static Dataset<Row> table(List<int[]> tokens) {
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType, false)
            .add("tokens", DataTypes.createArrayType(DataTypes.IntegerType, false), true);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < tokens.size(); i++) {
      rows.add(RowFactory.create((long) i, tokens.get(i)));
    }
    rows.add(RowFactory.create(1000L, null));
    return spark.createDataFrame(rows, schema).repartition(4);
  }

  private static Map<Long, float[]> embeddings(MoeInference.MoeRun run) {
    return InferenceFixtures.embeddingsById(run.rows());
  }
}
