package dev.sparkmoe.benchmarks.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.spark.SparkTestSession;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench peer} on the tiny preset with a few hundred tokens: the three systems run and agree,
 * and the agreement check really compares (a zero tolerance catches PyTorch's rounding
 * differences). Runs PyTorch through the repository's Python environment; no timing is asserted.
 */
class BenchPeerCommandTest {
  /** Best seconds, range of seconds, tokens/s. */
  private static final String TIMES = "[0-9.]+ +[0-9.]+-[0-9.]+ +[0-9.]+";

  /** A relative difference that is not NaN: the rows were compared. */
  private static final String DIFF = "[0-9]\\.[0-9]e[-+][0-9]+$";

  @TempDir static Path work;
  private static SparkSession spark;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.start("BenchPeerCommandTest");
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  @Test
  void threeSystemsAgreeAndTheTableHasARowForEach() {
    Result result = run("--tolerance", "1e-4");
    assertThat(result.code()).as(result.err()).isZero();
    assertThat(result.out())
        .contains("bench peer: tiny (2 layers x 8 experts, top-2, hidden 64, ffn 96, F32)")
        .containsPattern("machine: sgemm 2048x1024x5632 on 1 thread\\(s\\) through \\S+: [0-9.]+")
        .containsPattern("(?m)^core engine +" + TIMES + " +1\\.00x +[0-9]+% +0\\.0e\\+00$")
        .containsPattern("(?m)^spark local\\[2\\] \\S+ +" + TIMES + " +[0-9.]+x +[0-9]+% +" + DIFF)
        .containsPattern("(?m)^pytorch \\S+ +" + TIMES + " +[0-9.]+x +[0-9]+% +" + DIFF)
        .contains("agreement: every system within 1e-04 of the core engine");
  }

  @Test
  void inTaskAndShuffleAreSystemsOfTheirOwnAndAgreeWithTheCoreEngine() {
    Result result = run("--spark-modes", "in-task,shuffle", "--skip-torch");
    assertThat(result.code()).as(result.err()).isZero();
    assertThat(result.out())
        .as("in-task placement and the shuffle exchange, each compared with the core engine")
        .containsPattern(sparkRow("in-task"))
        .containsPattern(sparkRow("shuffle"))
        .doesNotContainPattern("(?m)^pytorch ")
        .contains("agreement: every system within 1e-04 of the core engine");
  }

  @Test
  void zeroToleranceCatchesRoundingDifferencesOfPyTorch() {
    Result result = run("--tolerance", "0");
    assertThat(result.code()).as("the systems differ in the last bits: not within 0").isEqualTo(1);
    assertThat(result.err().strip())
        .as("PyTorch's kernels round differently from ours")
        .startsWith("bench: Invalid benchmark result: ")
        .endsWith("(expected: at most 0e+00, relative L2 per row)");
    assertThat(result.out()).containsPattern("(?m)^pytorch ");
  }

  @Test
  void rejectsBadOptionsBeforeAnyWork() {
    Result result = run("--threads", "0");
    assertThat(result.code()).isEqualTo(1);
    assertThat(result.err().strip())
        .isEqualTo("bench: Invalid threads: 0 (expected: a positive integer)");
  }

  private static String sparkRow(String mode) {
    return "(?m)^spark local\\[2\\] " + mode + " +" + TIMES + " +[0-9.]+x +[0-9]+% +" + DIFF;
  }

  private static Result run(String... extra) {
    String[] base = {
      "peer",
      "--preset",
      "tiny",
      "--tokens",
      "200",
      "--min-len",
      "8",
      "--max-len",
      "48",
      "--work",
      work.toString()
    };
    String[] args = new String[base.length + extra.length];
    System.arraycopy(base, 0, args, 0, base.length);
    System.arraycopy(extra, 0, args, base.length, extra.length);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        BenchCommand.commandLine(new PrintWriter(out, true), new PrintWriter(err, true))
            .execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  record Result(int code, String out, String err) {}
}
