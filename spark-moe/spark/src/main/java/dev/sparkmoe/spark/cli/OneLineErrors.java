package dev.sparkmoe.spark.cli;

import dev.sparkmoe.core.InvalidModelException;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Turns a failed command into one line on stderr, {@code <program>: <message>}: the message of the
 * user-facing cause (bad model, bad input, bad option), found even when Spark wrapped it in a task
 * failure. Set {@code MOE_DEBUG=1} for the stack trace. The {@code moe} command and the {@code
 * bench} command of the benchmarks module both print their errors this way.
 */
public final class OneLineErrors implements CommandLine.IExecutionExceptionHandler {
  /** The exit code of a failed run (usage errors exit with picocli's 2). */
  public static final int FAILED = 1;

  private static final Pattern LINE_BREAKS = Pattern.compile("\\s*[\\r\\n\\u2028\\u2029]+\\s*");

  private final String program;

  /** Errors printed as {@code program: message}. */
  public OneLineErrors(String program) {
    this.program = program;
  }

  @Override
  public int handleExecutionException(
      Exception exception, CommandLine commandLine, CommandLine.ParseResult parseResult) {
    commandLine.getErr().println(program + ": " + userMessage(exception));
    if (System.getenv("MOE_DEBUG") != null) {
      exception.printStackTrace(commandLine.getErr());
    }
    return FAILED;
  }

  static String userMessage(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof InvalidModelException || t instanceof IllegalArgumentException) {
        return oneLine(t.getMessage());
      }
    }
    Throwable root = error;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return oneLine(root.getMessage() == null ? root.toString() : root.getMessage());
  }

  /**
   * Line breaks folded into spaces and other control characters escaped: the message may quote a
   * name from a model or input file, which must not split the line or drive the terminal.
   */
  static String oneLine(String message) {
    if (message == null) {
      return "unknown error (set MOE_DEBUG=1 for the stack trace)";
    }
    String folded = LINE_BREAKS.matcher(message.strip()).replaceAll(" ");
    StringBuilder out = new StringBuilder(folded.length());
    for (char c : folded.toCharArray()) {
      out.append(Character.isISOControl(c) ? String.format("\\u%04x", (int) c) : c);
    }
    return out.toString();
  }
}
