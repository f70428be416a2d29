package dev.sparkmoe.spark.cli;

import dev.sparkmoe.core.InvalidModelException;
import picocli.CommandLine;

/**
 * Turns a failed command into one line on stderr: the message of the user-facing cause (bad model,
 * bad input, bad option), found even when Spark wrapped it in a task failure. Set {@code
 * MOE_DEBUG=1} for the stack trace.
 */
final class OneLineErrors implements CommandLine.IExecutionExceptionHandler {
  static final int FAILED = 1;

  @Override
  public int handleExecutionException(
      Exception exception, CommandLine commandLine, CommandLine.ParseResult parseResult) {
    commandLine.getErr().println("moe: " + userMessage(exception));
    if (System.getenv("MOE_DEBUG") != null) {
      exception.printStackTrace(commandLine.getErr());
    }
    return FAILED;
  }

  static String userMessage(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof InvalidModelException || t instanceof IllegalArgumentException) {
        return t.getMessage();
      }
    }
    Throwable root = error;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.toString() : root.getMessage();
  }
}
