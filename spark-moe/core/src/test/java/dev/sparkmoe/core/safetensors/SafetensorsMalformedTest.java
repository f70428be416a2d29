package dev.sparkmoe.core.safetensors;

import static dev.sparkmoe.core.safetensors.SafetensorsFixtures.entry;
import static dev.sparkmoe.core.safetensors.SafetensorsFixtures.writeRaw;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.InvalidModelException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsMalformedTest {
  @TempDir Path dir;
  private final Random random = new Random();

  @Test
  void fileShorterThanTheLengthPrefix() throws IOException {
    Path file = Files.write(dir.resolve("short.safetensors"), new byte[] {2, 0, 0, 0, 0});

    assertInvalid(file, "Cannot read %s: file size 5 is smaller than the 8-byte header length");
  }

  @Test
  void headerLengthZero() {
    Path file =
        writeRaw(
            dir.resolve("zero.safetensors"), 0, "{}".getBytes(StandardCharsets.UTF_8), new byte[0]);

    assertInvalid(
        file, "Cannot read %s: invalid header length 0 (expected: 2 <= length <= 100000000)");
  }

  @Test
  void headerLengthOverTheLimit() throws IOException {
    Path file =
        writeRaw(dir.resolve("huge.safetensors"), 100_000_001L, new byte[] {'{', '}'}, new byte[0]);
    try (RandomAccessFile sparse = new RandomAccessFile(file.toFile(), "rw")) {
      sparse.setLength(8 + 100_000_001L); // holes: the reader must reject before reading
    }

    assertInvalid(
        file,
        "Cannot read %s: invalid header length 100000001 (expected: 2 <= length <= 100000000)");
  }

  @Test
  void headerBeyondTheEndOfTheFile() {
    byte[] padding = new byte[1016];
    Path file = writeRaw(dir.resolve("beyond.safetensors"), 4294967296L, padding, new byte[0]);
    Path unsigned = writeRaw(dir.resolve("unsigned.safetensors"), -1L, padding, new byte[0]);

    assertInvalid(
        file,
        "Cannot read %s: header length 4294967296 exceeds the file size 1024 (expected: at most 1016)");
    assertInvalid(
        unsigned,
        "Cannot read %s: header length 18446744073709551615 exceeds the file size 1024 (expected: at most 1016)");
  }

  @Test
  void headerNotJson() {
    Path file = writeRaw(dir.resolve("text.safetensors"), "{hello}", new byte[0]);
    Path trailing = writeRaw(dir.resolve("trailing.safetensors"), "{} {}", new byte[0]);

    assertThatInvalid(file)
        .hasMessageStartingWith(
            "Cannot read " + file + ": header is not valid JSON: Unexpected character ('h'");
    assertThatInvalid(trailing)
        .hasMessageStartingWith(
            "Cannot read " + trailing + ": header is not valid JSON: Trailing token");
  }

  @Test
  void headerNotAnObject() {
    Path file = writeRaw(dir.resolve("array.safetensors"), "[1, 2]", new byte[0]);

    assertInvalid(file, "Cannot read %s: header is not a JSON object (found: ARRAY)");
  }

  @Test
  void tensorEntryNotAnObject() {
    Path file = writeRaw(dir.resolve("entry.safetensors"), "{\"w\": 3}", new byte[0]);

    assertInvalid(file, "Cannot read tensor w in %s: entry is not a JSON object (found: NUMBER)");
  }

  @Test
  void metadataNotStrings() {
    Path file =
        writeRaw(dir.resolve("meta.safetensors"), "{\"__metadata__\": {\"step\": 3}}", new byte[0]);

    assertInvalid(
        file, "Cannot read %s: __metadata__ value of key step is not a string (found: NUMBER)");
  }

  @Test
  void truncatedDataSection() {
    Path file =
        writeRaw(
            dir.resolve("truncated.safetensors"), header(entry("w", "F32", "[4]", 0, 16)), data(8));

    assertInvalid(
        file,
        "Cannot read tensor w in %s: data_offsets [0, 16] extend past the end of the data section of 8 bytes");
  }

  @Test
  void extraBytesAfterTheData() {
    Path file =
        writeRaw(
            dir.resolve("extra.safetensors"), header(entry("w", "F32", "[4]", 0, 16)), data(20));

    assertInvalid(
        file, "Cannot read %s: data section has 4 bytes after the last tensor ending at 16");
  }

  @Test
  void offsetsOverlapping() {
    String header = header(entry("a", "F32", "[2]", 0, 8), entry("b", "F32", "[2]", 4, 12));
    Path file = writeRaw(dir.resolve("overlap.safetensors"), header, data(12));

    assertInvalid(
        file,
        "Cannot read tensor b in %s: data_offsets [4, 12] overlap the previous tensor ending at 8");
  }

  @Test
  void offsetsWithAHole() {
    String header = header(entry("b", "F32", "[6]", 16, 40), entry("a", "F32", "[2]", 0, 8));
    Path file = writeRaw(dir.resolve("hole.safetensors"), header, data(40));
    Path atStart =
        writeRaw(
            dir.resolve("start.safetensors"), header(entry("a", "F32", "[2]", 8, 16)), data(16));

    assertInvalid(
        file,
        "Cannot read tensor b in %s: data_offsets [16, 40] leave a hole after the previous tensor ending at 8");
    assertInvalid(
        atStart,
        "Cannot read tensor a in %s: data_offsets [8, 16] leave a hole at the start of the data section");
  }

  @Test
  void offsetsPastTheEnd() {
    String header = header(entry("a", "F32", "[2]", 0, 8), entry("b", "F16", "[500]", 8, 1008));
    Path file = writeRaw(dir.resolve("past.safetensors"), header, data(16));

    assertInvalid(
        file,
        "Cannot read tensor b in %s: data_offsets [8, 1008] extend past the end of the data section of 16 bytes");
  }

  @Test
  void beginAfterEnd() {
    Path file =
        writeRaw(
            dir.resolve("reversed.safetensors"), header(entry("w", "F32", "[2]", 8, 0)), data(8));

    assertInvalid(file, "Cannot read tensor w in %s: data_offsets [8, 0] end before they begin");
  }

  @Test
  void byteLengthNotElementsTimesSize() {
    Path file =
        writeRaw(
            dir.resolve("size.safetensors"), header(entry("w", "F32", "[2, 2]", 0, 12)), data(12));

    assertInvalid(
        file,
        "Cannot read tensor w in %s: data_offsets [0, 12] hold 12 bytes but shape [2, 2] of F32 needs 16");
  }

  @Test
  void sizeOverflowingALong() {
    String shape = "[4294967296, 4294967296, 4]";
    Path file =
        writeRaw(
            dir.resolve("overflow.safetensors"), header(entry("w", "F32", shape, 0, 0)), data(0));

    assertInvalid(
        file,
        "Cannot read tensor w in %s: shape [4294967296, 4294967296, 4] of F32 has more bytes than fit in a long");
  }

  @Test
  void unknownDtype() {
    Path file =
        writeRaw(
            dir.resolve("dtype.safetensors"), header(entry("x", "F8_E5M2", "[2]", 0, 2)), data(2));

    assertInvalid(
        file, "Invalid dtype F8_E5M2 for tensor x in %s (expected: one of F32, F16, BF16)");
  }

  @Test
  void negativeShapeDimension() {
    Path file =
        writeRaw(
            dir.resolve("negative.safetensors"),
            header(entry("w", "F32", "[2, -1]", 0, 0)),
            data(0));

    assertInvalid(
        file,
        "Cannot read tensor w in %s: invalid shape [2,-1] (expected: an array of non-negative integers)");
  }

  @Test
  void missingDataOffsets() {
    String header = "{\"w\": {\"dtype\": \"F32\", \"shape\": [2]}}";
    Path file = writeRaw(dir.resolve("missing.safetensors"), header, data(8));

    assertInvalid(file, "Cannot read tensor w in %s: missing data_offsets");
  }

  @Test
  void malformedDataOffsets() {
    String header = "{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8.5]}}";
    Path file = writeRaw(dir.resolve("fraction.safetensors"), header, data(8));

    assertInvalid(
        file,
        "Cannot read tensor w in %s: invalid data_offsets [0,8.5] (expected: an array of non-negative integers)");
  }

  @Test
  void unknownKeyInTensorEntry() {
    String header =
        "{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8], \"stride\": [1]}}";
    Path file = writeRaw(dir.resolve("unknown.safetensors"), header, data(8));

    assertInvalid(
        file,
        "Cannot read tensor w in %s: unknown key stride (expected: one of [dtype, shape, data_offsets])");
  }

  @Test
  void duplicateTensorName() {
    String header = header(entry("w", "F32", "[2]", 0, 8), entry("w", "F32", "[2]", 8, 16));
    Path file = writeRaw(dir.resolve("duplicate.safetensors"), header, data(16));

    assertInvalid(file, "Cannot read %s: header is not valid JSON: Duplicate field 'w'");
  }

  @Test
  void missingFile() {
    Path file = dir.resolve("absent.safetensors");

    assertInvalid(file, "Cannot open %s: file does not exist");
  }

  private static String header(String... entries) {
    return "{" + String.join(", ", entries) + "}";
  }

  private byte[] data(int sizeBytes) {
    return SafetensorsFixtures.randomBytes(random, sizeBytes);
  }

  private static void assertInvalid(Path file, String messageFormat) {
    assertThatInvalid(file).hasMessage(String.format(messageFormat, file));
  }

  private static AbstractThrowableAssert<?, ? extends Throwable> assertThatInvalid(Path file) {
    return assertThatThrownBy(() -> SafetensorsFile.open(file).close())
        .isInstanceOf(InvalidModelException.class);
  }
}
