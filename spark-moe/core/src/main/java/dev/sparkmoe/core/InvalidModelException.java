package dev.sparkmoe.core;

/**
 * A model directory, checkpoint file or config that cannot be used as it is. The message names the
 * offending file, tensor or key and says what was expected, in the form {@code Cannot <verb>
 * <object>: <reason>} or {@code Invalid <thing>: <value> (expected: <allowed>)}.
 *
 * <p>This is the only exception the checkpoint readers throw for bad input; I/O failures of a
 * readable file surface as {@link java.io.UncheckedIOException}.
 */
public class InvalidModelException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public InvalidModelException(String message) {
    super(message);
  }

  public InvalidModelException(String message, Throwable cause) {
    super(message, cause);
  }
}
