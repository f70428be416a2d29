package dev.sparkmoe.spark.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.spark.SparkTestSession;
import dev.sparkmoe.spark.sql.InferenceFixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The expert-parallel pipeline in local Spark (Kryo with registration required) against the
 * reference forward: every placement, several owner partition counts, rows of one token, rows
 * without tokens, a skewed router.
 */
class ExpertParallelPipelineTest {
  private static final int ROWS = 40;

  @TempDir static Path temp;
  private static SparkSession spark;
  private static String model;
  private static Dataset<Row> input;
  private static Map<Long, float[]> reference;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.startWithKryo("ExpertParallelPipelineTest");
    model = ModelFixtures.tinyMixtral(temp.resolve("model")).toString();
    List<int[]> tokens = tokens(512);
    input = table(tokens);
    reference = InferenceFixtures.embeddings(Path.of(model), tokens);
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  @ParameterizedTest(name = "{0} over {1} slots, {2} owner partitions")
  @CsvSource({
    "shared-layers, 2, 1", "shared-layers, 2, 3", "shared-layers, 3, 8",
    "one-per-gpu, 16, 3", "colocate:4, 4, 3", "colocate:8, 2, 8"
  })
  void matchesTheReferenceForward(String placement, int slots, int partitions) {
    Map<Long, float[]> out =
        embeddings(inference().placement(placement).slots(slots).partitions(partitions).run(input));
    assertThat(out).hasSize(ROWS + 2);
    for (Map.Entry<Long, float[]> row : reference.entrySet()) {
      assertThat(InferenceFixtures.relativeError(out.get(row.getKey()), row.getValue()))
          .as("row %d under %s", row.getKey(), placement)
          .isLessThan(1e-5);
    }
    assertThat(out.get(1000L)).as("empty token array gives a null output").isNull();
    assertThat(out.get(1001L)).as("null token array gives a null output").isNull();
  }

  @Test
  void runsAndPlacementsAreBitIdentical() {
    MoeInference base = inference().partitions(3);
    Map<Long, float[]> first = embeddings(base.placement("shared-layers").slots(2).run(input));
    Map<Long, float[]> again = embeddings(base.placement("shared-layers").slots(2).run(input));
    Map<Long, float[]> spread = embeddings(base.placement("one-per-gpu").slots(16).run(input));
    for (long id : reference.keySet()) {
      assertThat(again.get(id)).as("second run, row %d", id).containsExactly(first.get(id));
      assertThat(spread.get(id))
          .as("one-per-gpu vs shared-layers, row %d", id)
          .containsExactly(first.get(id));
    }
  }

  @Test
  void halfPrecisionActivationsStayClose() {
    Map<Long, float[]> out =
        embeddings(inference().activationDtype("f16").partitions(2).run(input));
    for (Map.Entry<Long, float[]> row : reference.entrySet()) {
      assertThat(InferenceFixtures.relativeError(out.get(row.getKey()), row.getValue()))
          .as("row %d", row.getKey())
          .isLessThan(2e-3);
    }
  }

  @Test
  void reportCountsEveryRoutedTokenAndTheTraffic() {
    MoeInference.MoeRun run =
        inference().placement("shared-layers").slots(2).partitions(3).run(input);
    RunReport report = run.report();
    long tokens = reference.keySet().stream().mapToLong(id -> tokensOf(id).length).sum();
    assertThat(report.rows()).isEqualTo(ROWS + 2);
    assertThat(report.tokens()).isEqualTo(tokens);
    assertThat(report.layers()).hasSize(2);
    for (RunReport.Layer layer : report.layers()) {
      assertThat(Arrays.stream(layer.tokensPerExpert()).sum())
          .as("top-2 of every token")
          .isEqualTo(2 * tokens);
      assertThat(layer.slots()).extracting(RunReport.SlotRun::slot).containsExactly(0, 1);
      assertThat(layer.slots().stream().mapToLong(RunReport.SlotRun::tokens).sum())
          .isEqualTo(2 * tokens);
      assertThat(layer.bytesDispatched())
          .as("at least the activations")
          .isGreaterThanOrEqualTo(layer.bytesMinimum());
      assertThat(layer.bytesDispatched())
          .as("Arrow overhead is small")
          .isLessThan(layer.bytesMinimum() * 13 / 10);
      assertThat(layer.bytesCombined()).isGreaterThanOrEqualTo(layer.bytesMinimum());
      assertThat(layer.balance()).isBetween(0.0, 1.0);
    }
    assertThat(report.executors())
        .extracting(RunReport.Executor::executorId)
        .containsExactly("driver");
    assertThat(report.toJson()).contains("\"tokensPerExpert\"");
  }

  @Test
  void skewedRouterCompletesAndShowsTheSkew() {
    Path skewed =
        ModelFixtures.write(
            ModelFixtures.tiny().toBuilder().routerSkew(8f).build(), temp.resolve("skewed"));
    MoeInference.MoeRun run = MoeInference.of(skewed.toString()).slots(2).partitions(2).run(input);
    RunReport.Layer first = run.report().layers().get(0);
    long total = Arrays.stream(first.tokensPerExpert()).sum();
    assertThat(first.tokensPerExpert()[0])
        .as("expert 0 takes most token-expert pairs")
        .isGreaterThan(total * 4 / 10);
    assertThat(run.rows().count()).isEqualTo(ROWS + 2);
  }

  @Test
  void expertsWithoutTokensAndSingleTokenRows() {
    Dataset<Row> one = input.filter("id = 0");
    MoeInference.MoeRun run = inference().placement("one-per-gpu").slots(16).partitions(2).run(one);
    for (RunReport.Layer layer : run.report().layers()) {
      assertThat(Arrays.stream(layer.tokensPerExpert()).filter(t -> t == 0).count())
          .as("a single token reaches 2 of 8 experts in layer %d", layer.layer())
          .isEqualTo(6);
    }
    assertThat(InferenceFixtures.relativeError(embeddings(run).get(0L), reference.get(0L)))
        .isLessThan(1e-5);
  }

  @Test
  void invalidRowsFailNamingTheRowOrAreSkippedAndCounted() {
    int[] tooLong = new int[2049];
    Dataset<Row> bad =
        input.union(
            spark.createDataFrame(
                List.of(
                    RowFactory.create(2000L, new int[] {1, 512}),
                    RowFactory.create(2001L, tooLong)),
                input.schema()));
    assertThatThrownBy(() -> inference().partitions(1).run(bad.filter("id = 2000")))
        .hasRootCauseMessage(
            "Invalid token id 512 in row 2000 at position 1 (expected: 0 <= id < 512)");
    MoeInference.MoeRun run = inference().option("on-invalid-token", "skip").partitions(3).run(bad);
    assertThat(run.report().skippedRows()).isEqualTo(2);
    Map<Long, float[]> out = embeddings(run);
    assertThat(out).hasSize(ROWS + 2).doesNotContainKeys(2000L, 2001L);
    assertThat(InferenceFixtures.relativeError(out.get(5L), reference.get(5L))).isLessThan(1e-5);
  }

  @Test
  void arrowMemoryIsReleased() {
    inference().partitions(3).run(input);
    assertThat(ExecutorRuntime.allocator().getAllocatedMemory())
        .as("every Arrow buffer of the run was closed")
        .isZero();
  }

  @Test
  void onePerGpuNeedsASlotPerExpert() {
    assertThatThrownBy(() -> inference().placement("one-per-gpu").slots(4).run(input))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot place experts with one-per-gpu: it needs 16 slots (2 layers x 8 experts, 1 per"
                + " slot), the run has 4 slots. Add"
                + " executors or GPUs, set spark.moe.slots (--slots), or choose shared-layers or colocate:K with a"
                + " larger K");
  }

  private static MoeInference inference() {
    return MoeInference.of(model);
  }

  /** Rows 0..ROWS-1 from the generator, with rows 0 and 1 cut to one token. */
  private static List<int[]> tokens(int vocab) {
    List<int[]> rows = new ArrayList<>();
    for (long id = 0; id < ROWS; id++) {
      rows.add(tokensOf(id));
    }
    return rows;
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
}
