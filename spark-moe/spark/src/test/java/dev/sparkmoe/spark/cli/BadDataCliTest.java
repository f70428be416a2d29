package dev.sparkmoe.spark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.forward.ReferenceForward;
import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.spark.SparkTestSession;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code moe infer} on bad input tables: missing or mistyped columns fail before any task, bad
 * tokens fail the job naming the row, position and value; null, empty and duplicate rows are not
 * errors. Every failure exits 1 with one line and leaves no output.
 */
class BadDataCliTest {
  private static final int MAX_POSITIONS = 16;
  private static final int VOCAB = 512;

  @TempDir static Path temp;
  private static SparkSession spark;
  private static Path model;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.start("BadDataCliTest");
    model =
        ModelFixtures.write(
            ModelFixtures.tiny().toBuilder().maxPositions(MAX_POSITIONS).build(),
            temp.resolve("model"));
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  @Test
  void missingIdColumn() {
    infer("no-id", "{\"key\": 1, \"tokens\": [1, 2]}")
        .assertFailed(
            "Cannot find id column id in the input (columns: key, tokens); name it with"
                + " --id-column",
            out("no-id"));
  }

  @Test
  void missingTokensColumn() {
    infer("no-tokens", "{\"id\": 1, \"text\": \"hello\"}")
        .assertFailed(
            "Cannot find tokens column tokens in the input (columns: id, text); name it with"
                + " --tokens-column",
            out("no-tokens"));
  }

  @Test
  void tokensColumnOfTheWrongType() {
    infer("tokens-string", "{\"id\": 1, \"tokens\": \"1 2 3\"}")
        .assertFailed(
            "Invalid type of tokens column tokens: string (expected: array<int>)",
            out("tokens-string"));
    infer("tokens-doubles", "{\"id\": 1, \"tokens\": [1.5, 2.5]}")
        .assertFailed(
            "Invalid type of tokens column tokens: array<double> (expected: array<int>)",
            out("tokens-doubles"));
  }

  @Test
  void idColumnOfTheWrongType() {
    infer("id-double", "{\"id\": 1.5, \"tokens\": [1, 2]}")
        .assertFailed(
            "Invalid type of id column id: double (expected: bigint, int or string)",
            out("id-double"));
  }

  @Test
  void negativeTokenIdNamesRowPositionAndValue() {
    infer("negative", "{\"id\": 7, \"tokens\": [1, 2]}", "{\"id\": 8, \"tokens\": [3, 4, -1]}")
        .assertFailed(
            "Invalid token id -1 in row 8 at position 2 (expected: 0 <= id < 512)",
            out("negative"));
  }

  @Test
  void tokenIdOutsideTheVocabularyNamesRowPositionAndValue() {
    infer(
            "too-big",
            "{\"id\": \"doc-a\", \"tokens\": [1]}",
            "{\"id\": \"doc-b\", \"tokens\": [512]}")
        .assertFailed(
            "Invalid token id 512 in row doc-b at position 0 (expected: 0 <= id < 512)",
            out("too-big"));
    infer("null-token", "{\"id\": 3, \"tokens\": [1, null, 2]}")
        .assertFailed(
            "Invalid token id null in row 3 at position 1 (expected: 0 <= id < 512)",
            out("null-token"));
  }

  @Test
  void sequenceLongerThanTheModelAllowsNamesTheRow() {
    String longRow = "{\"id\": 5, \"tokens\": " + tokens(MAX_POSITIONS + 1) + "}";

    infer("too-long", "{\"id\": 4, \"tokens\": " + tokens(MAX_POSITIONS) + "}", longRow)
        .assertFailed(
            "Invalid sequence length 17 in row 5 (expected: at most max_position_embeddings 16)",
            out("too-long"));
  }

  @Test
  void nullAndEmptyTokenArraysGiveNullOutputsAndTheJobContinues() {
    CliRun run =
        infer(
            "sparse",
            "{\"id\": 1, \"tokens\": [5, 6]}",
            "{\"id\": 2, \"tokens\": []}",
            "{\"id\": 3, \"tokens\": null}",
            "{\"id\": 4}",
            "{\"id\": 5, \"tokens\": [7]}");

    assertThat(run.code()).as(run.err()).isZero();
    List<Row> rows = spark.read().parquet(out("sparse").toString()).sort("id").collectAsList();
    assertThat(rows).extracting(r -> r.getLong(0)).containsExactly(1L, 2L, 3L, 4L, 5L);
    assertThat(rows)
        .extracting(r -> r.isNullAt(1))
        .as("null score for null, empty and absent token arrays")
        .containsExactly(false, true, true, true, false);
  }

  @Test
  void duplicateIdsAreEachProcessed() {
    int[][] tokens = {{11, 12, 13}, {40, 41}, {11, 12, 13, 14}, {200, 201, 202, 203, 204}};
    CliRun run =
        infer(
            "duplicates",
            "{\"id\": 1, \"tokens\": [11, 12, 13]}",
            "{\"id\": 1, \"tokens\": [40, 41]}",
            "{\"id\": 2, \"tokens\": [11, 12, 13, 14]}",
            "{\"id\": 1, \"tokens\": [200, 201, 202, 203, 204]}");

    assertThat(run.code()).as(run.err()).isZero();
    List<Row> rows = spark.read().parquet(out("duplicates").toString()).collectAsList();
    assertThat(rows).extracting(r -> r.getLong(0)).containsExactlyInAnyOrder(1L, 1L, 2L, 1L);
    Map<Integer, Double> scoreByLength =
        rows.stream().collect(Collectors.toMap(r -> r.getInt(2), r -> r.getDouble(1)));
    try (MoeModel opened = MoeModel.open(model)) {
      ReferenceForward forward =
          new ReferenceForward(opened, opened.loadDense(), new CpuExpertBackend());
      for (int[] row : tokens) {
        double expected = forward.head().score(forward.run(List.of(row)), 0, row).logLikelihood();
        assertThat(scoreByLength.get(row.length))
            .as("score of the row of %d tokens (lengths are distinct)", row.length)
            .isCloseTo(expected, Offset.offset(1e-4));
      }
    }
  }

  private static CliRun infer(String name, String... jsonLines) {
    Path input = temp.resolve(name + ".json");
    BrokenModels.writeString(input, String.join("\n", jsonLines) + "\n");
    return CliRun.infer(model, input, out(name), "--kind", "score", "--partitions", "2");
  }

  private static Path out(String name) {
    return temp.resolve("out-" + name);
  }

  private static String tokens(int count) {
    return IntStream.range(0, count)
        .mapToObj(i -> String.valueOf(1 + i % (VOCAB - 1)))
        .collect(Collectors.joining(", ", "[", "]"));
  }
}
