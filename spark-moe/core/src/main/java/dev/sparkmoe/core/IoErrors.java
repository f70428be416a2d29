package dev.sparkmoe.core;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * I/O failures in the house form, {@code Cannot <verb> <thing>: <reason>}: the JDK's own messages
 * often hold only the path ({@link NoSuchFileException}) or nothing, so the reason is spelled out
 * here and the cause is kept for the stack trace.
 */
public final class IoErrors {
  private IoErrors() {}

  /**
   * An unchecked error for a failed I/O action.
   *
   * @param action what was attempted, naming the thing: {@code "read /models/m/config.json"}
   */
  public static UncheckedIOException cannot(String action, IOException cause) {
    return new UncheckedIOException(
        "Cannot " + action + ": " + reason(cause) + otherFile(action, cause), cause);
  }

  /** The failing file, where the action touches several and names another one. */
  private static String otherFile(String action, IOException cause) {
    if (cause instanceof FileSystemException fs
        && fs.getFile() != null
        && !action.contains(fs.getFile())) {
      return " (" + fs.getFile() + ")";
    }
    return "";
  }

  /** A one-line reason for an I/O failure, without the path the JDK puts in some messages. */
  public static String reason(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "file does not exist";
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied (check the file's owner and mode)";
    }
    if (e instanceof FileAlreadyExistsException) {
      return "file already exists";
    }
    if (e instanceof NotDirectoryException) {
      return "not a directory";
    }
    if (e instanceof DirectoryNotEmptyException) {
      return "directory is not empty";
    }
    if (e instanceof FileSystemException fs && fs.getReason() != null) {
      return oneLine(fs.getReason());
    }
    if (e instanceof EOFException && e.getMessage() == null) {
      return "unexpected end of file";
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : oneLine(e.getMessage());
  }

  private static String oneLine(String text) {
    return text.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
  }
}
