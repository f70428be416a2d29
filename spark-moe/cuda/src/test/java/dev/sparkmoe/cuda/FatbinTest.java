package dev.sparkmoe.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The packaged fatbin, read without cuobjdump, and the reader's handling of bad input. */
class FatbinTest {
  @Test
  void packagedFatbinHoldsEveryKernelForEachTarget() {
    Optional<byte[]> image = KernelImage.bytes();
    if (image.isEmpty()) {
      assertThat(nvccOnPath())
          .as("nvcc is on the PATH, so the build must have packaged %s", KernelImage.RESOURCE)
          .isFalse();
      assertThat(KernelImage.missingReason())
          .contains("nvcc was not on the PATH when this jar was built");
      return;
    }
    List<Fatbin.Entry> entries = Fatbin.entries(image.get());
    assertThat(entries)
        .extracting(Fatbin.Entry::target)
        .as("native/build.sh: sm_80 and sm_90 machine code, compute_90 PTX")
        .containsExactlyInAnyOrder("sm_80", "sm_90", "compute_90");
    for (Fatbin.Entry entry : entries) {
      assertThat(entry.kernels())
          .as("kernels in %s", entry.target())
          .containsExactlyInAnyOrderElementsOf(Kernels.NAMES);
    }
    assertThat(KernelImage.missingReason()).isEmpty();
  }

  @Test
  void readsSyntheticPtxEntry() {
    byte[] image = fatbin(ptx(".visible .entry moe_a(\n) {}\n.entry moe_b() {}"), 0);
    assertThat(Fatbin.entries(image))
        .containsExactly(new Fatbin.Entry("compute_90", java.util.Set.of("moe_a", "moe_b")));
  }

  @Test
  void rejectsWrongMagic() {
    byte[] image = fatbin(ptx(".entry k() {}"), 0);
    image[0] = 0;
    assertThatThrownBy(() -> Fatbin.entries(image))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid fatbin magic: 0xba55ed00 (expected: 0xba55ed50)");
  }

  @Test
  void rejectsTruncatedImage() {
    byte[] whole = fatbin(ptx(".entry k() {}"), 0);
    byte[] cut = java.util.Arrays.copyOf(whole, whole.length - 1);
    assertThatThrownBy(() -> Fatbin.entries(cut))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid fatbin size: %d (expected: <= %d bytes, the image's length)",
            whole.length, cut.length);
    assertThatThrownBy(() -> Fatbin.entries(new byte[3]))
        .hasMessage("Invalid fatbin length: 3 (expected: >= 16 bytes)");
  }

  @Test
  void rejectsCompressedEntries() {
    byte[] image = fatbin(ptx(".entry k() {}"), 0x2000L);
    assertThatThrownBy(() -> Fatbin.entries(image))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid fatbin entry: compressed (expected: uncompressed)");
  }

  private static byte[] ptx(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  /** A fatbin with one PTX entry for compute_90, laid out as nvcc 13 writes it. */
  private static byte[] fatbin(byte[] payload, long flags) {
    int entryHeader = 64;
    ByteBuffer b =
        ByteBuffer.allocate(16 + entryHeader + payload.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(Fatbin.MAGIC).putShort((short) 1).putShort((short) 16);
    b.putLong(entryHeader + payload.length);
    b.putShort((short) 1).putShort((short) 0x0101).putInt(entryHeader).putLong(payload.length);
    b.putInt(0).putInt(0).putInt(0x00090000).putInt(90).putInt(0).putInt(0).putLong(flags);
    b.put(new byte[16]);
    b.put(payload);
    return b.array();
  }

  private static boolean nvccOnPath() {
    String path = System.getenv().getOrDefault("PATH", "");
    return Stream.of(path.split(File.pathSeparator))
        .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, "nvcc")));
  }
}
