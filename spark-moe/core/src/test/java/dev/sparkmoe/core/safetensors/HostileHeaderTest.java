package dev.sparkmoe.core.safetensors;

import static dev.sparkmoe.core.safetensors.SafetensorsFixtures.entry;
import static dev.sparkmoe.core.safetensors.SafetensorsFixtures.writeRaw;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sparkmoe.core.InvalidModelException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The failures the fuzz suites found, pinned as plain tests: error messages that quoted the raw
 * header or split over lines, JSON that Jackson read as UTF-32, and files that are not regular
 * files.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HostileHeaderTest {
  @TempDir Path dir;

  @Test
  void jsonErrorsNeverQuoteTheHeader() {
    String secret = "\"a\":{\"dtype\":\"F32\",\"shape\":[},\"data_offsets\":[0,4]}";
    Path file = writeRaw(dir.resolve("unclosed.safetensors"), "{" + secret + "}", new byte[4]);

    assertThatThrownBy(() -> SafetensorsFile.open(file))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage(
            "Cannot read %s: header is not valid JSON: Unexpected close marker '}': expected ']'",
            file);
  }

  @Test
  void headerThatLooksLikeUtf32IsInvalidJson() {
    byte[] header = {0, 0, 0, '{', 0, 0, 0, '}'};
    Path file = writeRaw(dir.resolve("utf32.safetensors"), header.length, header, new byte[0]);

    assertThatThrownBy(() -> SafetensorsFile.open(file))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage(
            "Cannot read %s: header is not valid JSON: Illegal character ((CTRL-CHAR, code 0)):"
                + " only regular white space (\\r, \\n, \\t) is allowed between tokens",
            file);
  }

  @Test
  void headerThatIsNotUtf8IsInvalidJson() {
    byte[] header = {'{', '"', (byte) 0xC3, '"', ':', '1', '}', ' '};
    Path file = writeRaw(dir.resolve("latin1.safetensors"), header.length, header, new byte[0]);

    assertThatThrownBy(() -> SafetensorsFile.open(file))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage("Cannot read %s: header is not valid JSON: not UTF-8 text", file);
  }

  @Test
  void deepNestingIsInvalidJsonNotAStackOverflow() {
    String header = "{\"a\": " + "[".repeat(100_000) + "]".repeat(100_000) + "}";
    Path file = writeRaw(dir.resolve("deep.safetensors"), header, new byte[0]);

    assertThatThrownBy(() -> SafetensorsFile.open(file))
        .isInstanceOf(InvalidModelException.class)
        .hasMessageStartingWith("Cannot read " + file + ": header is not valid JSON: ")
        .hasMessageContaining("maximum allowed nesting depth (1000)");
  }

  @Test
  void controlCharactersInNamesAreEscaped() {
    String name = "w\\n\\u001b[31mred";
    Path file =
        writeRaw(
            dir.resolve("escape.safetensors"),
            "{" + entry(name, "F64", "[1]", 0, 8) + "}",
            new byte[8]);

    assertThatThrownBy(() -> SafetensorsFile.open(file))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage(
            "Invalid dtype F64 for tensor w\\u000a\\u001b[31mred in %s (expected: one of F32, F16,"
                + " BF16)",
            file);
  }

  @Test
  void hugeNamesAreCutInMessages() {
    String name = "n".repeat(1 << 20);
    Path file =
        writeRaw(
            dir.resolve("long.safetensors"),
            "{" + entry(name, "F32", "[1]", 0, 8) + "}",
            new byte[8]);

    assertThatThrownBy(() -> SafetensorsFile.open(file))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage(
            "Cannot read tensor %s... in %s: data_offsets [0, 8] hold 8 bytes but shape [1] of F32"
                + " needs 4",
            "n".repeat(Printable.MAX_CHARS), file);
  }

  @Test
  void aDirectoryIsNotASafetensorsFile() throws IOException {
    Path folder = Files.createDirectory(dir.resolve("folder.safetensors"));

    assertThatThrownBy(() -> SafetensorsFile.open(folder))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage("Cannot open %s: not a regular file (expected: a safetensors file)", folder);
  }

  @Test
  void aFifoIsRejectedWithoutBlocking() {
    Path fifo = dir.resolve("fifo.safetensors");
    assumeTrue(HostileModelDirectory.mkfifo(fifo), "mkfifo is available");

    assertThatThrownBy(() -> SafetensorsFile.open(fifo))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage("Cannot open %s: not a regular file (expected: a safetensors file)", fifo);
  }

  @Test
  void emptyHeaderIsNotAnObject() {
    Path file =
        writeRaw(
            dir.resolve("blank.safetensors"),
            4,
            "    ".getBytes(StandardCharsets.UTF_8),
            new byte[0]);

    assertThatThrownBy(() -> SafetensorsFile.open(file))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage("Cannot read %s: header is not a JSON object (found: MISSING)", file);
  }
}
