package dev.sparkmoe.core.safetensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Valid safetensors files, written by {@link SafetensorsWriter}: the seeds that the fuzz suite
 * mutates.
 */
final class ValidFiles {
  private ValidFiles() {}

  /** One tensor of a generated file. */
  record Tensor(String name, DType dtype, List<Long> shape) {}

  /** What a valid file holds; {@link #write} makes it, with random values. */
  record Spec(List<Tensor> tensors, Map<String, String> metadata, long valueSeed) {
    /** Writes the file and returns its bytes. */
    byte[] write(Path file) {
      Random random = new Random(valueSeed);
      SafetensorsWriter writer = SafetensorsWriter.create();
      metadata.forEach(writer::metadata);
      for (Tensor tensor : tensors) {
        float[] values =
            SafetensorsFixtures.randomFloats(random, (int) TensorInfo.elementCount(tensor.shape()));
        writer.tensor(
            tensor.name(), tensor.dtype(), tensor.shape(), SafetensorsFixtures.source(values));
      }
      writer.writeTo(file);
      try {
        return Files.readAllBytes(file);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  static Arbitrary<Spec> specs() {
    Arbitrary<Tensor> tensor =
        Combinators.combine(names(), Arbitraries.of(DType.class), shapes()).as(Tensor::new);
    Arbitrary<List<Tensor>> tensors = tensor.list().ofMaxSize(5).uniqueElements(t -> t.name());
    Arbitrary<Map<String, String>> metadata =
        Arbitraries.maps(names(), Arbitraries.strings().ofMaxLength(8)).ofMaxSize(2);
    return Combinators.combine(tensors, metadata, Arbitraries.longs()).as(Spec::new);
  }

  /** The position where the data section of a valid file starts. */
  static int dataStart(byte[] file) {
    return 8 + (int) ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
  }

  private static Arbitrary<String> names() {
    return Arbitraries.strings()
        .withCharRange('a', 'z')
        .withChars('.', '_', '0', '7')
        .ofMinLength(1)
        .ofMaxLength(10)
        .filter(name -> !name.equals(SafetensorsHeader.METADATA_KEY));
  }

  private static Arbitrary<List<Long>> shapes() {
    return Arbitraries.longs().between(0, 6).list().ofMaxSize(3);
  }
}
