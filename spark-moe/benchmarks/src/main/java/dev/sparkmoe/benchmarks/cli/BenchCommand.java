package dev.sparkmoe.benchmarks.cli;

import dev.sparkmoe.spark.cli.OneLineErrors;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code bench} command: end-to-end benchmarks that print their figures (they measure, they
 * never fail on speed), and what {@code spark-moe/benchmarks/bin/bench} runs. Kernel benchmarks are
 * JMH ({@code spark-moe/benchmarks/bin/jmh}). Errors print one line and exit non-zero, as {@code
 * moe}'s do.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "End-to-end benchmarks; see also spark-moe/benchmarks/bin/jmh for the kernels.",
    subcommands = {
      BenchBalanceCommand.class,
      BenchPeerCommand.class,
      BenchPlacementsCommand.class,
      BenchTransportCommand.class,
      CommandLine.HelpCommand.class
    })
public final class BenchCommand implements Runnable {
  static final String NAME = "bench";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing benchmark");
  }

  public static void main(String[] args) {
    System.exit(
        commandLine(new PrintWriter(System.out, true), new PrintWriter(System.err, true))
            .execute(args));
  }

  /** A configured command line that prints to the given writers (tests capture them). */
  public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new BenchCommand());
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler(new OneLineErrors(NAME));
    return cli;
  }
}
