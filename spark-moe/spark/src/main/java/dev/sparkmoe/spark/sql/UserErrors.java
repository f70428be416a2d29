package dev.sparkmoe.spark.sql;

import dev.sparkmoe.core.InvalidModelException;
import java.util.function.Supplier;

/**
 * Turns a failure into one message a SQL or DataFrame user can act on: the message of the
 * user-facing cause (bad model, bad input, bad option), found even when Spark wrapped it in a task
 * failure, as an {@link IllegalArgumentException}, which PySpark also shows as one line.
 */
public final class UserErrors {
  private UserErrors() {}

  /**
   * Runs {@code action}; a failure with a user-facing cause is rethrown as an {@link
   * IllegalArgumentException} with that cause's message (prefixed with {@code Cannot run <where>:}
   * when Spark had wrapped it), others unchanged.
   */
  public static <T> T translate(String where, Supplier<T> action) {
    try {
      return action.get();
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (Exception e) {
      // SparkException is checked in Java's eyes but thrown undeclared by Scala.
      Throwable cause = userFacing(e);
      if (cause == null) {
        throw e;
      }
      String message =
          cause == e
              ? e.getMessage()
              : String.format("Cannot run %s: %s", where, cause.getMessage());
      throw new IllegalArgumentException(message, e);
    }
  }

  private static Throwable userFacing(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof InvalidModelException || t instanceof IllegalArgumentException) {
        return t;
      }
    }
    return null;
  }
}
