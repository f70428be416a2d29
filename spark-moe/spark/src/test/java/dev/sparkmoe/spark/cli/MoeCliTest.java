package dev.sparkmoe.spark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.forward.OutputHead;
import dev.sparkmoe.core.forward.ReferenceForward;
import dev.sparkmoe.core.generate.TokenGenerator;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.spark.SparkTestSession;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI end to end in one local Spark session: generate a model and a table, run {@code infer}
 * for every kind, and compare each output row with the reference forward run directly on the same
 * tokens.
 */
class MoeCliTest {
  private static final long ROWS = 24;
  private static final long SEED = 7;

  @TempDir static Path temp;
  private static SparkSession spark;
  private static Path model;
  private static Path tokens;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.start("MoeCliTest");
    model = temp.resolve("model");
    tokens = temp.resolve("tokens.parquet");
    assertThat(run("generate-model", "--preset", "tiny", "--out", model.toString()).code).isZero();
    Result generated =
        run(
            "generate-tokens",
            "--rows",
            "" + ROWS,
            "--min-len",
            "1",
            "--max-len",
            "40",
            "--vocab",
            "512",
            "--seed",
            "" + SEED,
            "--out",
            tokens.toString());
    assertThat(generated.code).as(generated.err).isZero();
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  @Test
  void embeddingsMatchTheReferenceForward() {
    List<Row> rows = infer("embedding", "parquet");
    assertThat(rows).hasSize((int) ROWS);
    try (MoeModel opened = MoeModel.open(model)) {
      ReferenceForward forward =
          new ReferenceForward(opened, opened.loadDense(), new CpuExpertBackend());
      TokenGenerator generator = new TokenGenerator(SEED, 1, 40, 512);
      for (Row row : rows) {
        long id = row.getLong(0);
        FinalHidden states = forward.run(List.of(generator.tokens(id)));
        float[] expected = forward.head().embedding(states, 0);
        List<Float> actual = row.getList(1);
        assertThat(actual).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
          assertThat(actual.get(i))
              .as("row %d, dim %d", id, i)
              .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-5f));
        }
      }
    }
  }

  @Test
  void scoresAndNextTokensMatchTheReferenceForward() {
    List<Row> scores = infer("score", "json");
    List<Row> next = infer("next-token", "parquet");
    try (MoeModel opened = MoeModel.open(model)) {
      ReferenceForward forward =
          new ReferenceForward(opened, opened.loadDense(), new CpuExpertBackend());
      TokenGenerator generator = new TokenGenerator(SEED, 1, 40, 512);
      for (int i = 0; i < ROWS; i++) {
        int[] row = generator.tokens(i);
        FinalHidden states = forward.run(List.of(row));
        OutputHead.Score score = forward.head().score(states, 0, row);
        OutputHead.NextToken token = forward.head().nextToken(states, 0);
        assertThat(scores.get(i).getLong(0)).isEqualTo(i);
        assertThat(scores.get(i).getDouble(2))
            .as("score of row %d", i)
            .isCloseTo(score.logLikelihood(), org.assertj.core.data.Offset.offset(1e-4));
        assertThat(scores.get(i).getLong(1))
            .as("num_tokens of row %d (json reads ints as bigint)", i)
            .isEqualTo(row.length);
        assertThat(next.get(i).getInt(1)).as("next token of row %d", i).isEqualTo(token.token());
        assertThat(next.get(i).getDouble(2))
            .isCloseTo(token.logprob(), org.assertj.core.data.Offset.offset(1e-5));
      }
    }
  }

  @Test
  void badTokenFailsWithOneLineNamingTheRow() throws Exception {
    Path bad = temp.resolve("bad.json");
    Files.writeString(bad, "{\"id\": 1, \"tokens\": [1, 2]}\n{\"id\": 2, \"tokens\": [3, 600]}\n");
    Result result =
        run(
            "infer",
            "--model",
            model.toString(),
            "--input",
            bad.toString(),
            "--input-format",
            "json",
            "--output",
            temp.resolve("bad-out").toString());
    assertThat(result.code).isEqualTo(1);
    assertThat(result.err.strip())
        .isEqualTo("moe: Invalid token id 600 in row 2 at position 1 (expected: 0 <= id < 512)");
    assertThat(Files.exists(temp.resolve("bad-out")))
        .as("no partial output after a failed job")
        .isFalse();
  }

  @Test
  void missingModelAndBadKindFailBeforeAnyWork() {
    Result missing =
        run(
            "infer",
            "--model",
            temp.resolve("nope").toString(),
            "--input",
            tokens.toString(),
            "--output",
            temp.resolve("never").toString());
    assertThat(missing.code).isEqualTo(1);
    assertThat(missing.err.strip())
        .isEqualTo(
            "moe: Cannot load model "
                + temp.resolve("nope").toAbsolutePath()
                + ": not a directory (expected: a folder with config.json and model.safetensors)");
    Result kind =
        run(
            "infer",
            "--model",
            model.toString(),
            "--input",
            tokens.toString(),
            "--kind",
            "logits",
            "--output",
            temp.resolve("never2").toString());
    assertThat(kind.err.strip())
        .isEqualTo(
            "moe: Invalid output kind: logits (expected: one of embedding, next-token, score, hidden,"
                + " generate)");
    assertThat(Files.exists(temp.resolve("never"))).isFalse();
    assertThat(Files.exists(temp.resolve("never2"))).isFalse();
  }

  @Test
  void existingOutputIsNeverOverwritten() throws Exception {
    Path existing = Files.createDirectories(temp.resolve("existing"));
    Files.writeString(existing.resolve("keep.txt"), "data");
    Result result =
        run(
            "infer",
            "--model",
            model.toString(),
            "--input",
            tokens.toString(),
            "--output",
            existing.toString());
    assertThat(result.code).isEqualTo(1);
    assertThat(result.err.strip())
        .isEqualTo(
            "moe: Cannot write "
                + existing
                + ": the path exists (remove it or choose another output)");
    assertThat(Files.readString(existing.resolve("keep.txt"))).isEqualTo("data");
  }

  @Test
  void helpOnEverySubcommand() {
    for (String command : new String[] {"generate-model", "generate-tokens", "infer"}) {
      Result help = run(command, "--help");
      assertThat(help.code).isZero();
      assertThat(help.out).startsWith("Usage: moe " + command);
    }
    Result unknown = run("infer", "--model", "m", "--input", "i", "--output", "o", "--bogus");
    assertThat(unknown.code).isEqualTo(2);
    assertThat(unknown.err).startsWith("Unknown option: '--bogus'");
  }

  @Test
  void nullAndEmptyTokenRowsGiveNullOutputs() throws Exception {
    Path input = temp.resolve("sparse.json");
    Files.writeString(
        input, "{\"id\": 1, \"tokens\": [5, 6]}\n{\"id\": 2, \"tokens\": []}\n{\"id\": 3}\n");
    Path out = temp.resolve("sparse-out");
    Result result =
        run(
            "infer",
            "--model",
            model.toString(),
            "--input",
            input.toString(),
            "--input-format",
            "json",
            "--output",
            out.toString(),
            "--kind",
            "score");
    assertThat(result.code).as(result.err).isZero();
    List<Row> rows = spark.read().parquet(out.toString()).sort("id").collectAsList();
    assertThat(rows).extracting(r -> r.isNullAt(1)).containsExactly(false, true, true);
  }

  private static List<Row> infer(String kind, String outputFormat) {
    Path out = temp.resolve("out-" + kind + "." + outputFormat);
    Result result =
        run(
            "infer",
            "--model",
            model.toString(),
            "--input",
            tokens.toString(),
            "--output",
            out.toString(),
            "--kind",
            kind,
            "--output-format",
            outputFormat,
            "--partitions",
            "3");
    assertThat(result.code).as(result.err).isZero();
    assertThat(result.out).contains("Wrote " + ROWS + " rows of " + kind);
    List<Row> rows = spark.read().format(outputFormat).load(out.toString()).collectAsList();
    return rows.stream().sorted(Comparator.comparingLong(r -> r.getLong(0))).toList();
  }

  record Result(int code, String out, String err) {}

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        MoeCli.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
    return new Result(code, out.toString(), err.toString());
  }
}
