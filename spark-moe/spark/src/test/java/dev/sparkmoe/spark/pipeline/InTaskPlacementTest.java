package dev.sparkmoe.spark.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.spark.SparkTestSession;
import dev.sparkmoe.spark.sql.InferenceFixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@code in-task} placement in local Spark (Kryo with registration required): every owner task
 * computes every expert itself, in one stage, and the outputs are those of the shuffle placements
 * bit for bit, whatever the partitions and waves.
 */
class InTaskPlacementTest {
  private static final int ROWS = 40;

  @TempDir static Path temp;
  private static SparkSession spark;
  private static String model;
  private static Dataset<Row> input;
  private static Map<Long, float[]> reference;
  private static Map<Long, float[]> shuffled;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.startWithKryo("InTaskPlacementTest");
    model = ModelFixtures.tinyMixtral(temp.resolve("model")).toString();
    List<int[]> tokens = new ArrayList<>();
    for (long id = 0; id < ROWS; id++) {
      tokens.add(tokensOf(id));
    }
    input = table(tokens);
    reference = InferenceFixtures.embeddings(Path.of(model), tokens);
    shuffled =
        embeddings(
            MoeInference.of(model).placement("shared-layers").slots(2).partitions(3).run(input));
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  @ParameterizedTest(name = "{0} owner partitions")
  @ValueSource(ints = {1, 3, 8})
  void matchesTheShufflePlacementsBitForBit(int partitions) {
    Map<Long, float[]> out = embeddings(inTask().partitions(partitions).run(input));
    assertThat(out).hasSize(ROWS + 2);
    for (Map.Entry<Long, float[]> row : reference.entrySet()) {
      assertThat(out.get(row.getKey()))
          .as("row %d: in-task vs shared-layers over 2 slots", row.getKey())
          .containsExactly(shuffled.get(row.getKey()));
      assertThat(InferenceFixtures.relativeError(out.get(row.getKey()), row.getValue()))
          .as("row %d vs the reference forward", row.getKey())
          .isLessThan(1e-5);
    }
    assertThat(out.get(1000L)).as("empty token array gives a null output").isNull();
    assertThat(out.get(1001L)).as("null token array gives a null output").isNull();
  }

  @Test
  void wavesGiveTheSameBits() {
    Map<Long, float[]> out = embeddings(inTask().partitions(2).waveRows(9).run(input));
    for (long id : reference.keySet()) {
      assertThat(out.get(id)).as("row %d in waves of 9 rows", id).containsExactly(shuffled.get(id));
    }
  }

  @Test
  void runsWithoutShuffle() throws Exception {
    assertThat(shuffleWrites(inTask().partitions(4)))
        .as("stages that wrote shuffle output: at most the input's own repartition(4)")
        .isLessThanOrEqualTo(1);
    assertThat(shuffleWrites(MoeInference.of(model).slots(2).partitions(4)))
        .as("shared-layers for contrast: two shuffles per layer")
        .isGreaterThanOrEqualTo(4);
  }

  private static int shuffleWrites(MoeInference inference) throws Exception {
    StageCounter stages = new StageCounter();
    spark.sparkContext().addSparkListener(stages);
    try {
      inference.run(input);
      spark.sparkContext().listenerBus().waitUntilEmpty();
    } finally {
      spark.sparkContext().removeSparkListener(stages);
    }
    return stages.shuffleWrites;
  }

  @Test
  void reportCountsTokensPerExpertAndNoTraffic() {
    RunReport report = inTask().partitions(3).run(input).report();
    long tokens = reference.keySet().stream().mapToLong(id -> tokensOf(id).length).sum();
    assertThat(report.placement()).startsWith("in-task");
    assertThat(report.tokens()).isEqualTo(tokens);
    assertThat(report.layers()).hasSize(2);
    for (RunReport.Layer layer : report.layers()) {
      assertThat(Arrays.stream(layer.tokensPerExpert()).sum())
          .as("top-2 of every token, counted by the owners")
          .isEqualTo(2 * tokens);
      assertThat(layer.bytesDispatched()).as("nothing dispatched").isZero();
      assertThat(layer.bytesCombined()).as("nothing combined").isZero();
      assertThat(layer.wallSeconds()).isPositive();
      assertThat(layer.slots()).extracting(RunReport.SlotRun::slot).containsExactly(0, 1, 2);
    }
    assertThat(report.toJson()).contains("\"tokensPerExpert\"");
  }

  @Test
  void invalidRowsFailNamingTheRowOrAreSkippedAndCounted() {
    Dataset<Row> bad =
        input.union(
            spark.createDataFrame(
                List.of(RowFactory.create(2000L, new int[] {1, 512})), input.schema()));
    assertThatThrownBy(() -> inTask().partitions(1).run(bad.filter("id = 2000")))
        .hasRootCauseMessage(
            "Invalid token id 512 in row 2000 at position 1 (expected: 0 <= id < 512)");
    MoeInference.MoeRun run = inTask().onRowError("skip").partitions(3).run(bad);
    assertThat(run.report().skippedRows()).isEqualTo(1);
    Map<Long, float[]> out = embeddings(run);
    assertThat(out).hasSize(ROWS + 2).doesNotContainKeys(2000L);
    assertThat(out.get(5L)).containsExactly(shuffled.get(5L));
  }

  @Test
  void arrowMemoryIsReleased() {
    inTask().partitions(3).run(input);
    assertThat(ExecutorRuntime.allocator().getAllocatedMemory())
        .as("every Arrow buffer of the run was closed")
        .isZero();
  }

  /**
   * A model no run in this JVM has loaded: its experts are read and decoded during the run, and the
   * report says how long that took, apart from compute.
   */
  @ParameterizedTest(name = "placement {0}")
  @ValueSource(strings = {"in-task", "shared-layers"})
  void coldRunReportsLoadSecondsApartFromCompute(String placement) throws Exception {
    String cold = ModelFixtures.tinyMixtral(temp.resolve("cold-" + placement)).toString();

    RunReport report = MoeInference.of(cold).placement(placement).slots(2).run(input).report();
    JsonNode json = new ObjectMapper().readTree(report.toJson());

    assertThat(json.get("loadSeconds").asDouble())
        .as("every expert of the model was fetched and decoded in this run")
        .isPositive();
    assertThat(json.get("loadSeconds").asDouble())
        .as("the sum over the executors")
        .isEqualTo(report.executors().stream().mapToDouble(RunReport.Executor::loadSeconds).sum());
    assertThat(report.executors()).extracting(RunReport.Executor::expertLoads).containsOnly(2 * 8);
    assertThat(json.get("layers")).hasSize(report.layers().size());
    double blocked = 0;
    for (JsonNode layer : json.get("layers")) {
      assertThat(layer.get("loadSeconds").asDouble()).isNotNegative();
      blocked += layer.get("loadSeconds").asDouble();
    }
    assertThat(json.get("loadBlockedSeconds").asDouble())
        .as("the layers' waits for experts, summed")
        .isCloseTo(blocked, within(1e-9));
  }

  private static MoeInference inTask() {
    return MoeInference.of(model).placement("in-task");
  }

  private static int[] tokensOf(long id) {
    return InferenceFixtures.pipelineRow(id);
  }

  private static Dataset<Row> table(List<int[]> tokens) {
    return InferenceFixtures.table(spark, tokens, "id", "tokens", /* partitions= */ 4);
  }

  private static Map<Long, float[]> embeddings(MoeInference.MoeRun run) {
    return InferenceFixtures.embeddingsById(run.rows());
  }

  /** Counts completed stages that wrote shuffle output. */
  private static final class StageCounter extends SparkListener {
    private volatile int shuffleWrites;

    @Override
    public void onStageCompleted(SparkListenerStageCompleted event) {
      if (event.stageInfo().taskMetrics().shuffleWriteMetrics().bytesWritten() > 0) {
        shuffleWrites++;
      }
    }
  }
}
