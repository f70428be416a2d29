package dev.sparkmoe.spark.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code moe} command: the {@code spark-submit --class} main and what {@code spark-moe/bin/moe}
 * runs. Errors print one line and exit non-zero (1 for a failed run, 2 for bad usage).
 */
@Command(
    name = "moe",
    mixinStandardHelpOptions = true,
    versionProvider = MoeCli.Version.class,
    description = "Batch inference of Mixture-of-Experts models on Apache Spark.",
    subcommands = {
      GenerateModelCommand.class,
      GenerateTokensCommand.class,
      InferCommand.class,
      PlanCommand.class,
      CommandLine.HelpCommand.class
    })
public final class MoeCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand");
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command line and returns the exit code, without exiting the JVM. */
  public static int execute(String... args) {
    return commandLine(new PrintWriter(System.out, true), new PrintWriter(System.err, true))
        .execute(args);
  }

  /** A configured command line that prints to the given writers (tests capture them). */
  public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new MoeCli());
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler(new OneLineErrors("moe"));
    return cli;
  }

  /** Version from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = MoeCli.class.getPackage().getImplementationVersion();
      return new String[] {"spark-moe " + (version == null ? "(development build)" : version)};
    }
  }
}
