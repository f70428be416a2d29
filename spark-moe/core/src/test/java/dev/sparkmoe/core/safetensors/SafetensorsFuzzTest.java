package dev.sparkmoe.core.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.core.safetensors.FuzzProbe.Outcome;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * Property-based fuzzing of the safetensors reader over valid files, mutated valid files, random
 * headers and huge claimed sizes. The contract under test, for every input: the reader loads a
 * valid file or throws {@link dev.sparkmoe.core.InvalidModelException} with a one-line {@code
 * Cannot …}/{@code Invalid …} message naming the file — never another exception, never a hang, and
 * never a heap allocation out of proportion to the file's real size (see {@link FuzzProbe}).
 *
 * <p>Tries are sized for about 20 s on two cores; raise the counts in the annotations for a longer
 * campaign.
 */
class SafetensorsFuzzTest {
  private static Path dir;

  @BeforeContainer
  static void createDirectory() throws IOException {
    dir = Files.createTempDirectory("safetensors-fuzz");
  }

  @AfterContainer
  static void deleteDirectory() throws IOException {
    try (var files = Files.walk(dir)) {
      for (Path file : files.sorted((a, b) -> b.compareTo(a)).toList()) {
        Files.delete(file);
      }
    }
  }

  @Property(tries = 200)
  void validFilesLoad(@ForAll("specs") ValidFiles.Spec spec) {
    byte[] bytes = spec.write(dir.resolve("valid.safetensors"));

    assertThat(FuzzProbe.readFile(dir.resolve("valid.safetensors"), bytes.length))
        .isEqualTo(Outcome.LOADED);
  }

  @Property(tries = 2000)
  void mutatedFilesLoadOrAreRejected(
      @ForAll("specs") ValidFiles.Spec spec, @ForAll("mutations") List<ByteMutation> mutations) {
    byte[] bytes = spec.write(dir.resolve("seed.safetensors"));
    int headerEnd = ValidFiles.dataStart(bytes);
    for (ByteMutation mutation : mutations) {
      bytes = mutation.apply(bytes, headerEnd);
    }

    Outcome outcome = FuzzProbe.readFile(write("mutated.safetensors", bytes), bytes.length);

    Statistics.label("outcome").collect(outcome);
    Statistics.label("outcome")
        .coverage(
            check -> {
              check.check(Outcome.LOADED).percentage(p -> p > 1);
              check.check(Outcome.REJECTED).percentage(p -> p > 50);
            });
  }

  @Property(tries = 2500)
  void randomHeadersLoadOrAreRejected(@ForAll("headers") RandomHeaders.File header) {
    byte[] bytes = header.bytes();

    Outcome outcome = FuzzProbe.readFile(write("random.safetensors", bytes), bytes.length);

    Statistics.label("outcome").collect(outcome);
    Statistics.label("outcome")
        .coverage(
            check -> {
              check.check(Outcome.LOADED).percentage(p -> p > 1);
              check.check(Outcome.REJECTED).percentage(p -> p > 50);
            });
  }

  @Property(tries = 20)
  void everyTruncationIsRejected(@ForAll("specs") ValidFiles.Spec spec) {
    byte[] bytes = spec.write(dir.resolve("whole.safetensors"));

    for (int length = 0; length < bytes.length; length++) {
      byte[] truncated = Arrays.copyOf(bytes, length);
      assertThat(FuzzProbe.readFile(write("truncated.safetensors", truncated), length))
          .as("%s cut to %d of %d bytes", spec, length, bytes.length)
          .isEqualTo(Outcome.REJECTED);
    }
  }

  @Property(tries = 300)
  void claimsFarBeyondTheFileAreRejectedWithoutAllocatingThem(
      @ForAll("claims") long claimedElements, @ForAll("dtypes") DType dtype) {
    long claimedBytes = claimedElements * dtype.sizeBytes();
    String header =
        String.format(
            "{\"small\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
                + " \"huge\": {\"dtype\": \"%s\", \"shape\": [%d], \"data_offsets\": [8, %d]}}",
            dtype, claimedElements, 8 + claimedBytes);
    byte[] file = SafetensorsFixtures.f32Bytes(1f, 2f, 3f, 4f);
    Path path =
        SafetensorsFixtures.writeRaw(
            dir.resolve("claim.safetensors"),
            header.getBytes(StandardCharsets.UTF_8).length,
            header.getBytes(StandardCharsets.UTF_8),
            file);

    assertThat(FuzzProbe.readFile(path, sizeOf(path))).isEqualTo(Outcome.REJECTED);
  }

  @Provide
  Arbitrary<ValidFiles.Spec> specs() {
    return ValidFiles.specs();
  }

  @Provide
  Arbitrary<List<ByteMutation>> mutations() {
    return ByteMutation.any().list().ofMinSize(1).ofMaxSize(4);
  }

  @Provide
  Arbitrary<RandomHeaders.File> headers() {
    return RandomHeaders.files();
  }

  @Provide
  Arbitrary<Long> claims() {
    return Arbitraries.longs().between(1L << 20, 1L << 60);
  }

  @Provide
  Arbitrary<DType> dtypes() {
    return Arbitraries.of(DType.class);
  }

  private static Path write(String name, byte[] bytes) {
    try {
      return Files.write(dir.resolve(name), bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long sizeOf(Path path) {
    try {
      return Files.size(path);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
