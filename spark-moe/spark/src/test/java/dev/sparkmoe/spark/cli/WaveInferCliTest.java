package dev.sparkmoe.spark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkmoe.spark.SparkTestSession;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The path of {@code spark-moe/benchmarks/bin/million-tokens}, scaled down: a generated model of
 * pure MoE layers and a table of fixed-length rows through {@code moe infer --kind score
 * --wave-rows}: every row once, scores bit-identical to a run in one wave, the waves and the heap
 * high-water in the report; and a failure in the last wave leaves no output behind.
 */
class WaveInferCliTest {
  private static final int ROWS = 400;
  private static final int LENGTH = 20;
  private static final int VOCAB = 256;

  @TempDir static Path temp;
  private static SparkSession spark;
  private static Path model;
  private static Path tokens;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.start("WaveInferCliTest");
    model = temp.resolve("model");
    tokens = temp.resolve("tokens.parquet");
    CliRun generated =
        CliRun.of(
            "generate-model",
            "--out",
            model.toString(),
            "--layers",
            "2",
            "--experts",
            "8",
            "--top-k",
            "2",
            "--hidden",
            "64",
            "--ffn",
            "32",
            "--vocab",
            "" + VOCAB,
            "--no-attention",
            "--seed",
            "" + System.nanoTime() % 1000);
    assertThat(generated.code()).as(generated.err()).isZero();
    CliRun table =
        CliRun.of(
            "generate-tokens",
            "--rows",
            "" + ROWS,
            "--min-len",
            "" + LENGTH,
            "--max-len",
            "" + LENGTH,
            "--vocab",
            "" + VOCAB,
            "--out",
            tokens.toString());
    assertThat(table.code()).as(table.err()).isZero();
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  @Test
  void wavesGiveEveryRowOnceWithTheScoresOfOneWave() throws IOException {
    Path waved = temp.resolve("waved.parquet");
    Path whole = temp.resolve("whole.parquet");
    CliRun run =
        CliRun.infer(
            model, tokens, waved, "--kind", "score", "--partitions", "2", "--wave-rows", "100");
    assertThat(run.code()).as(run.err()).isZero();
    CliRun once = CliRun.infer(model, tokens, whole, "--kind", "score", "--partitions", "2");
    assertThat(once.code()).as(once.err()).isZero();

    Map<Long, Double> scores = scores(waved);
    assertThat(scores).hasSize(ROWS);
    assertThat(scores).as("bit for bit, whatever the waves").isEqualTo(scores(whole));
    JsonNode report =
        new ObjectMapper().readTree(temp.resolve("waved.parquet.report.json").toFile());
    assertThat(report.get("rows").asLong()).isEqualTo(ROWS);
    assertThat(report.get("tokens").asLong()).isEqualTo((long) ROWS * LENGTH);
    JsonNode memory = report.get("memory");
    assertThat(memory.get("waves").asInt()).as("400 rows in waves of 100").isEqualTo(4);
    assertThat(memory.get("waveRows").asLong()).isEqualTo(100);
    assertThat(memory.get("peakHeapBytes").asLong()).isPositive();
    assertThat(memory.get("jvms").get(0).get("executorId").asText()).isEqualTo("driver");
  }

  @Test
  void aBadRowInTheLastWaveLeavesNoOutput() {
    String good =
        IntStream.range(0, 300)
            .mapToObj(id -> "{\"id\": " + id + ", \"tokens\": [1, 2, 3]}")
            .collect(Collectors.joining("\n"));
    Path input = temp.resolve("last-wave-bad.json");
    BrokenModels.writeString(input, good + "\n{\"id\": 300, \"tokens\": [1, 999]}\n");
    Path output = temp.resolve("out-last-wave-bad");
    CliRun.infer(model, input, output, "--kind", "score", "--wave-rows", "100")
        .assertFailed(
            "Invalid token id 999 in row 300 at position 1 (expected: 0 <= id < 256)", output);
  }

  private static Map<Long, Double> scores(Path output) {
    List<Row> rows = spark.read().parquet(output.toString()).collectAsList();
    Map<Long, Double> out = new HashMap<>();
    for (Row row : rows) {
      assertThat(out.put(row.getLong(0), row.getDouble(1)))
          .as("row %d once", row.getLong(0))
          .isNull();
    }
    return out;
  }
}
