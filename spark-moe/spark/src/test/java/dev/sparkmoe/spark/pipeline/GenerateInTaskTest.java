package dev.sparkmoe.spark.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.forward.OutputHead;
import dev.sparkmoe.core.forward.ReferenceForward;
import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.nn.Activations;
import dev.sparkmoe.spark.SparkTestSession;
import dev.sparkmoe.spark.sql.InferenceFixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --kind generate} on the in-task placement in local Spark (Kryo with registration
 * required): greedy tokens against argmax over full recomputes of the reference forward (no KV
 * cache), seeded sampling that does not depend on partitions or waves, per-row settings from
 * columns, the report, and the refusals.
 */
class GenerateInTaskTest {
  private static final int ROWS = 12;
  private static final int NEW_TOKENS = 6;

  @TempDir static Path temp;
  private static SparkSession spark;
  private static String model;
  private static List<int[]> tokens;
  private static Dataset<Row> input;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.startWithKryo("GenerateInTaskTest");
    model = ModelFixtures.tinyMixtral(temp.resolve("model")).toString();
    tokens = new ArrayList<>();
    for (long id = 0; id < ROWS; id++) {
      tokens.add(InferenceFixtures.pipelineRow(id));
    }
    input = InferenceFixtures.table(spark, tokens, "id", "tokens", /* partitions= */ 3);
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  private static MoeInference generate() {
    return MoeInference.of(model)
        .kind("generate")
        .option("max-new-tokens", Integer.toString(NEW_TOKENS));
  }

  /** Greedy continuation of each row by full recomputes: the reference forward, no cache. */
  private static Map<Long, int[]> recomputed() {
    Map<Long, int[]> out = new HashMap<>();
    try (MoeModel m = MoeModel.open(Path.of(model));
        CpuExpertBackend backend = new CpuExpertBackend()) {
      ReferenceForward forward = new ReferenceForward(m, m.loadDense(), backend);
      for (int r = 0; r < ROWS; r++) {
        List<Integer> sequence = new ArrayList<>();
        for (int t : tokens.get(r)) {
          sequence.add(t);
        }
        int[] generated = new int[NEW_TOKENS];
        for (int step = 0; step < NEW_TOKENS; step++) {
          int[] row = sequence.stream().mapToInt(Integer::intValue).toArray();
          OutputHead.NextToken next = forward.head().nextToken(forward.run(List.of(row)), 0);
          generated[step] = next.token();
          sequence.add(next.token());
        }
        out.put((long) r, generated);
      }
    }
    return out;
  }

  private static Map<Long, Row> byId(Dataset<Row> rows) {
    Map<Long, Row> out = new HashMap<>();
    for (Row row : rows.collectAsList()) {
      out.put(row.getLong(0), row);
    }
    return out;
  }

  private static int[] outputTokens(Row row) {
    return row.<Integer>getList(1).stream().mapToInt(Integer::intValue).toArray();
  }

  @Test
  void greedyEqualsArgmaxOfFullRecomputesAndTheReportCountsIt() {
    MoeInference.MoeRun run = generate().partitions(2).run(input);
    Map<Long, Row> out = byId(run.rows());
    Map<Long, int[]> expected = recomputed();
    assertThat(run.rows().columns())
        .containsExactly(
            "id",
            "output_tokens",
            "output_logprobs",
            "finish_reason",
            "num_input_tokens",
            "num_output_tokens");
    long outputTokens = 0;
    for (long id = 0; id < ROWS; id++) {
      Row row = out.get(id);
      assertThat(outputTokens(row)).as("row %d", id).containsExactly(expected.get(id));
      assertThat(row.getString(3)).isEqualTo("length");
      assertThat(row.getInt(4)).isEqualTo(tokens.get((int) id).length);
      assertThat(row.getInt(5)).isEqualTo(NEW_TOKENS);
      assertThat(row.<Float>getList(2))
          .hasSize(NEW_TOKENS)
          .allSatisfy(lp -> assertThat(lp).isNegative());
      outputTokens += row.getInt(5);
    }
    assertThat(out.get(1000L).isNullAt(1)).as("empty tokens: null outputs").isTrue();
    assertThat(out.get(1001L).isNullAt(1)).as("null tokens: null outputs").isTrue();
    GenerationReport report = run.report().generation();
    assertThat(report.rows()).isEqualTo(ROWS);
    assertThat(report.outputTokens()).isEqualTo(outputTokens);
    assertThat(report.kvCachePeakBytes()).isPositive();
    assertThat(report.ttftMillisP50()).isPositive().isLessThanOrEqualTo(report.ttftMillisP99());
    assertThat(report.tpotMillisP50()).isPositive();
    assertThat(report.decodeBatchSizes()).hasSize(NEW_TOKENS);
    assertThat(report.decodeBatchSizes()[0]).as("every row admitted at once").isEqualTo(ROWS);
    assertThat(run.report().toJson()).contains("\"ttftMillisP99\"", "\"decodeBatchSizes\"");
  }

  @Test
  void seededSamplingDoesNotDependOnPartitionsWavesOrTheCacheBudget() {
    MoeInference sampled =
        generate().option("temperature", "1").option("top-k", "20").option("seed", "7");
    Map<Long, Row> one = byId(sampled.partitions(1).run(input).rows());
    Map<Long, Row> waves =
        byId(
            sampled
                .partitions(3)
                .waveRows(5)
                .option("kv-cache-memory", Long.toString(64 * 1024))
                .run(input)
                .rows());
    Map<Long, Row> otherSeed = byId(sampled.option("seed", "8").partitions(1).run(input).rows());
    int differ = 0;
    for (long id = 0; id < ROWS; id++) {
      assertThat(outputTokens(waves.get(id)))
          .as("row %d: 1 partition vs 3 partitions in waves of 5 under a 64 KB cache", id)
          .containsExactly(outputTokens(one.get(id)));
      differ +=
          java.util.Arrays.equals(outputTokens(one.get(id)), outputTokens(otherSeed.get(id)))
              ? 0
              : 1;
    }
    assertThat(differ).as("another seed changes the samples").isGreaterThan(ROWS / 2);
  }

  @Test
  void perRowColumnsOverrideTheRunsSettings() {
    Dataset<Row> withSettings =
        input
            .withColumn("max_new_tokens", functions.expr("CAST(id % 3 + 1 AS INT)"))
            .withColumn("temperature", functions.expr("IF(id = 4, 1.0D, NULL)"));
    Map<Long, Row> out = byId(generate().run(withSettings).rows());
    Map<Long, int[]> expected = recomputed();
    for (long id = 0; id < ROWS; id++) {
      int max = (int) (id % 3 + 1);
      assertThat(out.get(id).getInt(5)).as("row %d: max_new_tokens %d", id, max).isEqualTo(max);
      if (id != 4) {
        assertThat(outputTokens(out.get(id)))
            .as("row %d: greedy, the first %d of the reference", id, max)
            .containsExactly(java.util.Arrays.copyOf(expected.get(id), max));
      }
    }
  }

  @Test
  void logprobsAreTheChosenTokensUnderTheUnmodifiedDistribution() {
    Row hot =
        byId(generate().option("temperature", "3").option("seed", "1").run(input).rows()).get(5L);
    float[] logits;
    try (MoeModel m = MoeModel.open(Path.of(model));
        CpuExpertBackend backend = new CpuExpertBackend()) {
      ReferenceForward forward = new ReferenceForward(m, m.loadDense(), backend);
      logits = forward.head().lastLogits(forward.run(List.of(tokens.get(5))), 0);
    }
    int first = outputTokens(hot)[0];
    double expected = logits[first] - Activations.logSumExp(logits, 0, logits.length);
    assertThat((double) hot.<Float>getList(2).get(0))
        .as("token %d drawn at temperature 3, its log-probability at temperature 1", first)
        .isCloseTo(expected, within(1e-5));
  }

  @Test
  void sqlAndTheDataSourceGenerateAsTheApiDoes() {
    input.createOrReplaceTempView("prompts");
    Map<Long, Row> api = byId(generate().option("max-new-tokens", "3").run(input).rows());
    Map<Long, Row> sql =
        byId(
            spark.sql(
                String.format(
                    "SELECT * FROM moe_infer('%s', 'prompts', 'generate', 'max-new-tokens=3;"
                        + " temperature=0')",
                    model)));
    Map<Long, Row> source =
        byId(
            spark
                .read()
                .format("moe")
                .option("model", model)
                .option("input", "prompts")
                .option("kind", "generate")
                .option("max-new-tokens", "3")
                .load());
    for (long id = 0; id < ROWS; id++) {
      assertThat(outputTokens(sql.get(id)))
          .as("moe_infer, row %d", id)
          .containsExactly(outputTokens(api.get(id)));
      assertThat(outputTokens(source.get(id)))
          .as("format(moe), row %d", id)
          .containsExactly(outputTokens(api.get(id)));
    }
  }

  @Test
  void theShufflePlacementsRefuseGenerate() {
    assertThatThrownBy(() -> generate().placement("shared-layers").slots(2).run(input))
        .hasMessage(
            "Cannot run kind generate with placement shared-layers: generate runs in-task"
                + " (--placement in-task) or through the expert service (--mode service)");
  }

  @Test
  void aRowThatCannotFitTheCacheFailsNamingIt() {
    assertThatThrownBy(
            () -> generate().option("kv-cache-memory", "4096").run(input.filter("id = 7")))
        .rootCause()
        .hasMessageContaining("Cannot generate for row 7: its KV cache needs")
        .hasMessageContaining("but kv-cache-memory is 4096 bytes");
  }
}
