package dev.sparkmoe.spark.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code moe bench}: end-to-end benchmarks that print their figures (they measure, they never fail
 * on speed). Kernel benchmarks are JMH, in {@code spark-moe/benchmarks}.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "End-to-end benchmarks; see also spark-moe/benchmarks/bin/jmh for the kernels.",
    subcommands = {
      BenchBalanceCommand.class,
      BenchPeerCommand.class,
      BenchPlacementsCommand.class,
      CommandLine.HelpCommand.class
    })
final class BenchCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing benchmark");
  }
}
