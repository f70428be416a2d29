package dev.sparkmoe.spark.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmoe.core.safetensors.SafetensorsFile;
import dev.sparkmoe.core.safetensors.SafetensorsWriter;
import dev.sparkmoe.core.safetensors.TensorInfo;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Copies of a generated model with one thing broken: the config, the safetensors bytes, the header
 * JSON, a tensor dropped. Every method works on a copy made by {@link #copy}.
 */
final class BrokenModels {
  static final String WEIGHTS = "model.safetensors";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path source;
  private final Path temp;

  BrokenModels(Path source, Path temp) {
    this.source = source;
    this.temp = temp;
  }

  /** A fresh copy of the source model in {@code temp/name}. */
  Path copy(String name) {
    try {
      Path dir = Files.createDirectories(temp.resolve(name));
      for (String file : List.of("config.json", WEIGHTS)) {
        Files.copy(source.resolve(file), dir.resolve(file));
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The tensors of the source model's weights, in data order. */
  List<TensorInfo> tensors() {
    try (SafetensorsFile file = SafetensorsFile.open(source.resolve(WEIGHTS))) {
      return file.tensors();
    }
  }

  /** The source weights' header length, as its 8-byte prefix says. */
  long headerLength() {
    return ByteBuffer.wrap(bytes(source.resolve(WEIGHTS)))
        .order(ByteOrder.LITTLE_ENDIAN)
        .getLong(0);
  }

  static void editConfig(Path model, Consumer<ObjectNode> edit) {
    try {
      Path config = model.resolve("config.json");
      ObjectNode root = (ObjectNode) JSON.readTree(config.toFile());
      edit.accept(root);
      JSON.writeValue(config.toFile(), root);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Rewrites the header of {@code model}'s weights with {@code edit} applied and a true length
   * prefix, keeping the data section and appending {@code extraData} zero bytes to it.
   */
  static void editHeader(Path model, Consumer<ObjectNode> edit, int extraData) {
    Path file = model.resolve(WEIGHTS);
    byte[] bytes = bytes(file);
    int dataStart = 8 + (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    try {
      ObjectNode header = (ObjectNode) JSON.readTree(Arrays.copyOfRange(bytes, 8, dataStart));
      edit.accept(header);
      byte[] json = JSON.writeValueAsBytes(header);
      ByteBuffer out = ByteBuffer.allocate(8 + json.length + bytes.length - dataStart + extraData);
      out.order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).put(json);
      out.put(bytes, dataStart, bytes.length - dataStart);
      Files.write(file, out.array());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Overwrites the 8-byte length prefix of {@code model}'s weights. */
  static void setHeaderLength(Path model, long length) {
    try (RandomAccessFile file = new RandomAccessFile(model.resolve(WEIGHTS).toFile(), "rw")) {
      file.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(length).array());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Overwrites one byte of {@code model}'s weights. */
  static void overwrite(Path model, long position, byte value) {
    try (RandomAccessFile file = new RandomAccessFile(model.resolve(WEIGHTS).toFile(), "rw")) {
      file.seek(position);
      file.write(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Cuts (or, sparse, extends) {@code model}'s weights to {@code length} bytes. */
  static void setLength(Path model, long length) {
    try (RandomAccessFile file = new RandomAccessFile(model.resolve(WEIGHTS).toFile(), "rw")) {
      file.setLength(length);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes the weights again without tensor {@code dropped}. */
  static void dropTensor(Path model, String dropped) {
    Path file = model.resolve(WEIGHTS);
    Path rewritten = model.resolve("rewritten.safetensors");
    SafetensorsWriter writer = SafetensorsWriter.create();
    try (SafetensorsFile original = SafetensorsFile.open(file)) {
      for (TensorInfo tensor : original.tensors()) {
        if (!tensor.name().equals(dropped)) {
          float[] values = original.readFloats(tensor.name());
          writer.tensor(
              tensor.name(),
              tensor.dtype(),
              tensor.shape(),
              (start, dst, count) -> System.arraycopy(values, (int) start, dst, 0, count));
        }
      }
      writer.writeTo(rewritten);
    }
    try {
      Files.move(rewritten, file, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void writeString(Path file, String text) {
    try {
      Files.writeString(file, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] bytes(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
