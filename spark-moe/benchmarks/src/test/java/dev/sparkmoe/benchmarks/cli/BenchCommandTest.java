package dev.sparkmoe.benchmarks.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The {@code bench} command line itself, without Spark. */
class BenchCommandTest {
  @Test
  void benchWithoutABenchmarkIsAUsageError() {
    StringWriter err = new StringWriter();
    int code =
        BenchCommand.commandLine(
                new PrintWriter(new StringWriter(), true), new PrintWriter(err, true))
            .execute();

    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("Missing benchmark");
  }

  @Test
  void hasTheThreeBenchmarksThatMoeHadAndHelpOnEach() {
    for (String benchmark : new String[] {"balance", "peer", "placements"}) {
      StringWriter out = new StringWriter();
      int code =
          BenchCommand.commandLine(
                  new PrintWriter(out, true), new PrintWriter(new StringWriter(), true))
              .execute(benchmark, "--help");

      assertThat(code).as(benchmark).isZero();
      assertThat(out.toString()).as(benchmark).startsWith("Usage: bench " + benchmark);
    }
  }
}
