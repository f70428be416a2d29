package dev.sparkmoe.spark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One run of the {@code moe} command line in this JVM, with what it printed; and the assertion that
 * the bad-input tests share.
 *
 * @param code the exit code
 * @param out what it printed on stdout
 * @param err what it printed on stderr
 */
record CliRun(int code, String out, String err) {
  static CliRun of(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        MoeCli.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
    return new CliRun(code, out.toString(), err.toString());
  }

  /** {@code moe infer --model model --input input --output output}, then {@code extra}. */
  static CliRun infer(Path model, Path input, Path output, String... extra) {
    List<String> args = new ArrayList<>();
    args.addAll(
        List.of(
            "infer",
            "--model",
            model.toString(),
            "--input",
            input.toString(),
            "--input-format",
            input.toString().endsWith(".json") ? "json" : "parquet",
            "--output",
            output.toString()));
    args.addAll(Arrays.asList(extra));
    return of(args.toArray(String[]::new));
  }

  /**
   * The run failed with exit code 1, printed exactly {@code moe: <message>} as its one line, and
   * left nothing at {@code output} (neither the table nor its report).
   */
  void assertFailed(String message, Path output) {
    assertThat(code).as("exit code; stderr: %s", err).isEqualTo(1);
    assertThat(err).as("stderr").isEqualTo("moe: " + message + System.lineSeparator());
    assertNoOutput(output);
  }

  /** As {@link #assertFailed}, for a message checked by its start and some parts. */
  void assertFailedStartingWith(String start, Path output, String... parts) {
    assertThat(code).as("exit code; stderr: %s", err).isEqualTo(1);
    assertThat(err).as("stderr").startsWith("moe: " + start);
    for (String part : parts) {
      assertThat(err).as("stderr").contains(part);
    }
    assertThat(err.strip().lines()).as("stderr lines").hasSize(1);
    assertNoOutput(output);
  }

  private static void assertNoOutput(Path output) {
    assertThat(Files.exists(output)).as("no partial output at %s", output).isFalse();
    assertThat(Files.exists(Path.of(ReportFiles.path(output.toString()))))
        .as("no report for a failed run")
        .isFalse();
  }
}
