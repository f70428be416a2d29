package dev.sparkmoe.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IoErrorsTest {
  @TempDir Path dir;

  @Test
  void missingFileNamesTheFileOnceAndTheReason() {
    Path missing = dir.resolve("config.json");
    IOException cause = catchIo(() -> Files.readAllBytes(missing));

    UncheckedIOException error = IoErrors.cannot("read " + missing, cause);

    assertThat(error)
        .hasMessage("Cannot read " + missing + ": file does not exist")
        .hasCause(cause);
  }

  @Test
  void aFileOtherThanTheNamedOneIsNamedAfterTheReason() {
    Path missing = dir.resolve("torch-embeddings.f32");
    IOException cause = catchIo(() -> Files.readAllBytes(missing));

    UncheckedIOException error = IoErrors.cannot("run the PyTorch peer in " + dir, cause);

    assertThat(error)
        .hasMessage(
            "Cannot run the PyTorch peer in " + dir + ": file does not exist (" + missing + ")");
  }

  @Test
  void fileSystemReasonsAreSpelledOutWithoutRepeatingThePath() {
    assertThat(IoErrors.reason(new java.nio.file.NotDirectoryException("/m/x")))
        .isEqualTo("not a directory");
    assertThat(
            IoErrors.reason(
                new java.nio.file.FileSystemException("/m/x", null, "Read-only file system")))
        .isEqualTo("Read-only file system");
    assertThat(IoErrors.reason(new java.nio.file.AccessDeniedException("/m/x")))
        .startsWith("permission denied");
  }

  @Test
  void aMultiLineMessageBecomesOneLine() {
    IOException cause = new IOException("first line\n  second line");

    assertThatThrownBy(
            () -> {
              throw IoErrors.cannot("write /tmp/out", cause);
            })
        .hasMessage("Cannot write /tmp/out: first line second line");
  }

  @Test
  void aMessagelessErrorGivesItsKind() {
    assertThat(IoErrors.reason(new java.io.EOFException())).isEqualTo("unexpected end of file");
    assertThat(IoErrors.reason(new java.net.SocketTimeoutException()))
        .isEqualTo("SocketTimeoutException");
  }

  private interface IoAction {
    void run() throws IOException;
  }

  private static IOException catchIo(IoAction action) {
    try {
      action.run();
    } catch (IOException e) {
      return e;
    }
    throw new AssertionError("expected an IOException");
  }
}
