package dev.sparkmoe.core.safetensors;

import static dev.sparkmoe.core.safetensors.SafetensorsFixtures.assertSameFloats;
import static dev.sparkmoe.core.safetensors.SafetensorsFixtures.randomFloats;
import static dev.sparkmoe.core.safetensors.SafetensorsFixtures.rounded;
import static dev.sparkmoe.core.safetensors.SafetensorsFixtures.source;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.InvalidModelException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SafetensorsRoundTripTest {
  private static final List<List<Long>> SHAPES =
      List.of(
          List.of(),
          List.of(0L),
          List.of(3L, 0L, 2L),
          List.of(7L),
          List.of(4L, 5L),
          List.of(2L, 3L, 4L));

  @TempDir Path dir;
  private final Random random = new Random();

  @ParameterizedTest
  @EnumSource(DType.class)
  void readsBackWhatItWrote(DType dtype) {
    Map<String, float[]> values = new LinkedHashMap<>();
    SafetensorsWriter writer = SafetensorsWriter.create();
    for (int i = 0; i < SHAPES.size(); i++) {
      List<Long> shape = SHAPES.get(i);
      float[] tensor = randomFloats(random, (int) TensorInfo.elementCount(shape));
      values.put("t" + i, tensor);
      writer.tensor("t" + i, dtype, shape, source(tensor));
    }
    Path file = dir.resolve("model.safetensors");
    writer.writeTo(file);

    try (SafetensorsFile read = SafetensorsFile.open(file)) {
      assertThat(read.tensors())
          .extracting(TensorInfo::name)
          .containsExactlyElementsOf(values.keySet());
      long offset = 0;
      for (int i = 0; i < SHAPES.size(); i++) {
        TensorInfo tensor = read.tensor("t" + i);
        assertThat(tensor.dtype()).isEqualTo(dtype);
        assertThat(tensor.shape()).isEqualTo(SHAPES.get(i));
        assertThat(tensor.beginOffset()).isEqualTo(offset);
        assertThat(tensor.sizeBytes()).isEqualTo(tensor.numElements() * dtype.sizeBytes());
        assertThat(read.readFloats("t" + i)).containsExactly(rounded(dtype, values.get("t" + i)));
        offset = tensor.endOffset();
      }
      assertThat(read.metadata()).isEmpty();
    }
  }

  @Test
  void scalarHasOneElement() {
    float value = randomFloats(random, 1)[0];
    Path file = dir.resolve("scalar.safetensors");
    SafetensorsWriter.create()
        .tensor("s", DType.F32, List.of(), source(new float[] {value}))
        .writeTo(file);

    try (SafetensorsFile read = SafetensorsFile.open(file)) {
      assertThat(read.tensor("s").numElements()).isEqualTo(1);
      assertThat(read.readFloats("s")).containsExactly(value);
    }
  }

  @Test
  void keepsMetadataAndAlignsTheDataSection() throws IOException {
    Path file = dir.resolve("meta.safetensors");
    SafetensorsWriter.create()
        .metadata("format", "pt")
        .metadata("generator", "spark-moe ✓")
        .tensor("w", DType.BF16, List.of(3L), source(randomFloats(random, 3)))
        .writeTo(file);

    try (SafetensorsFile read = SafetensorsFile.open(file);
        FileChannel channel = FileChannel.open(file)) {
      assertThat(read.metadata())
          .containsExactly(Map.entry("format", "pt"), Map.entry("generator", "spark-moe ✓"));
      ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      channel.read(prefix, 0);
      assertThat(prefix.getLong(0) % 8).as("header padded to a multiple of 8 bytes").isZero();
      assertThat(channel.size()).isEqualTo(8 + prefix.getLong(0) + 6);
    }
  }

  @Test
  void acceptsHeaderPaddedWithSpacesOnBothSides() {
    float[] values = randomFloats(random, 2);
    String header = "   {" + SafetensorsFixtures.entry("w", "F32", "[2]", 0, 8) + "}     ";
    Path file =
        SafetensorsFixtures.writeRaw(
            dir.resolve("padded.safetensors"), header, SafetensorsFixtures.f32Bytes(values));

    try (SafetensorsFile read = SafetensorsFile.open(file)) {
      assertThat(read.readFloats("w")).containsExactly(values);
    }
  }

  @ParameterizedTest
  @EnumSource(DType.class)
  void readsSlicesAcrossWriterChunks(DType dtype) {
    float[] values = randomFloats(random, SafetensorsWriter.CHUNK_ELEMENTS + 12_345);
    Path file = dir.resolve("large.safetensors");
    SafetensorsWriter.create()
        .tensor("before", dtype, List.of(5L), source(randomFloats(random, 5)))
        .tensor("big", dtype, List.of((long) values.length), source(values))
        .writeTo(file);
    float[] expected = rounded(dtype, values);

    try (SafetensorsFile read = SafetensorsFile.open(file)) {
      int start = SafetensorsWriter.CHUNK_ELEMENTS - 1000;
      float[] slice = new float[2003];
      read.readFloats("big", start, slice, 3, 2000);
      assertThat(slice).startsWith(0f, 0f, 0f);
      for (int i = 0; i < 2000; i++) {
        assertThat(slice[3 + i]).as("element %d", start + i).isEqualTo(expected[start + i]);
      }
      assertSameFloats(read.readFloats("big"), expected);
    }
  }

  @Test
  void readsOnlyTheRequestedTensor() throws IOException {
    float[] a = randomFloats(random, 16);
    float[] c = randomFloats(random, 4);
    Path file = dir.resolve("three.safetensors");
    SafetensorsWriter.create()
        .tensor("a", DType.F32, List.of(4L, 4L), source(a))
        .tensor("b", DType.F16, List.of(10L), source(randomFloats(random, 10)))
        .tensor("c", DType.F32, List.of(4L), source(c))
        .writeTo(file);

    try (SafetensorsFile read = SafetensorsFile.open(file)) {
      TensorInfo b = read.tensor("b");
      overwrite(file, b, SafetensorsFixtures.randomBytes(random, (int) b.sizeBytes()));

      assertThat(read.readFloats("a")).containsExactly(a);
      assertThat(read.readFloats("c")).containsExactly(c);
      ByteBuffer bytes = read.bytes("c");
      assertThat(bytes.capacity()).isEqualTo(16);
      assertThat(bytes.isReadOnly()).isTrue();
      assertThat(bytes.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
      assertThat(bytes.getFloat(12)).isEqualTo(c[3]);
    }
  }

  @Test
  void rejectsMappingATensorOver2GiB() throws IOException {
    long sizeBytes = 600_000_000L * 4;
    String header =
        "{" + SafetensorsFixtures.entry("huge", "F32", "[600000000]", 0, sizeBytes) + "}";
    Path file = SafetensorsFixtures.writeRaw(dir.resolve("huge.safetensors"), header, new byte[0]);
    try (RandomAccessFile sparse = new RandomAccessFile(file.toFile(), "rw")) {
      sparse.setLength(sparse.length() + sizeBytes);
    }

    try (SafetensorsFile read = SafetensorsFile.open(file)) {
      assertThatThrownBy(() -> read.bytes("huge"))
          .isInstanceOf(InvalidModelException.class)
          .hasMessage(
              "Cannot map tensor huge in %s: its 2400000000 bytes exceed the 2147483647-byte limit"
                  + " of one buffer; read it in slices instead",
              file);
      float[] tail = new float[3];
      read.readFloats("huge", 600_000_000L - 3, tail, 0, 3);
      assertThat(tail).as("the sparse file reads as zeros").containsExactly(0f, 0f, 0f);
    }
  }

  @Test
  void findsTensorsByName() {
    Path file = dir.resolve("one.safetensors");
    SafetensorsWriter.create()
        .tensor("w", DType.F16, List.of(2L), source(randomFloats(random, 2)))
        .writeTo(file);

    try (SafetensorsFile read = SafetensorsFile.open(file)) {
      assertThat(read.path()).isEqualTo(file);
      assertThat(read.find("w")).contains(read.tensor("w"));
      assertThat(read.find("x")).isEmpty();
      assertThatThrownBy(() -> read.tensor("x"))
          .isInstanceOf(InvalidModelException.class)
          .hasMessage("Cannot find tensor x in " + file + ": its header does not list it");
      assertThatThrownBy(() -> read.readFloats("x"))
          .isInstanceOf(InvalidModelException.class)
          .hasMessage("Cannot find tensor x in " + file + ": its header does not list it");
    }
  }

  @Test
  void checksSliceBounds() {
    Path file = dir.resolve("one.safetensors");
    SafetensorsWriter.create()
        .tensor("w", DType.F32, List.of(2L, 3L), source(randomFloats(random, 6)))
        .writeTo(file);

    try (SafetensorsFile read = SafetensorsFile.open(file)) {
      assertThatThrownBy(() -> read.readFloats("w", 4, new float[8], 0, 3))
          .isInstanceOf(IndexOutOfBoundsException.class)
          .hasMessage(
              "Cannot read elements [4, 7) of tensor w in "
                  + file
                  + ": out of bounds (expected: within [0, 6))");
      assertThatThrownBy(() -> read.readFloats("w", -1, new float[8], 0, 1))
          .isInstanceOf(IndexOutOfBoundsException.class)
          .hasMessage(
              "Cannot read elements [-1, 0) of tensor w in "
                  + file
                  + ": out of bounds (expected: within [0, 6))");
      assertThatThrownBy(() -> read.readFloats("w", 0, new float[4], 2, 3))
          .isInstanceOf(IndexOutOfBoundsException.class)
          .hasMessage("Invalid destination range [2, 5) (expected: within [0, 4))");
    }
  }

  @Test
  void rejectsDuplicateTensorsWhenWriting() {
    SafetensorsWriter writer =
        SafetensorsWriter.create().tensor("w", DType.F32, List.of(1L), source(new float[] {1.5f}));

    assertThatThrownBy(() -> writer.tensor("w", DType.F32, List.of(1L), source(new float[] {2.5f})))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Cannot add tensor w: it was already added");
    assertThatThrownBy(
            () -> writer.tensor("__metadata__", DType.F32, List.of(1L), source(new float[] {2.5f})))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid tensor name: '__metadata__' (expected: non-empty, not __metadata__)");
    assertThatThrownBy(
            () -> writer.tensor("v", DType.F32, List.of(2L, -1L), source(new float[] {2.5f})))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid shape [2, -1] (expected: non-negative dimensions)");
  }

  private static void overwrite(Path file, TensorInfo tensor, byte[] garbage) throws IOException {
    long dataStart = dataStart(file);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      channel.write(ByteBuffer.wrap(garbage), dataStart + tensor.beginOffset());
    }
  }

  private static long dataStart(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file)) {
      ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      channel.read(prefix, 0);
      return 8 + prefix.getLong(0);
    }
  }
}
