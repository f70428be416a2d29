package dev.sparkmoe.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads what an uncompressed CUDA fatbin holds, without cuobjdump: its entries (machine code for an
 * {@code sm_XX}, or PTX for a {@code compute_XX}) and the kernels each defines. The container is
 * NVIDIA's fatbin format (little-endian header with magic {@code 0xBA55ED50}, then entries with
 * their own headers); machine code is ELF, whose symbol table lists the kernels, and PTX names them
 * in {@code .entry} directives.
 */
public final class Fatbin {
  static final int MAGIC = 0xBA55ED50;
  private static final int KIND_PTX = 1;
  private static final int KIND_ELF = 2;
  private static final long FLAG_COMPRESSED = 0x2000L;
  private static final Pattern PTX_ENTRY = Pattern.compile("\\.entry\\s+([A-Za-z_$][\\w$]*)");

  /** Machine code or PTX for one architecture, e.g. {@code sm_90} or {@code compute_90}. */
  public record Entry(String target, Set<String> kernels) {}

  private Fatbin() {}

  /**
   * The entries of {@code image}, in file order.
   *
   * @throws IllegalArgumentException if {@code image} is not an uncompressed fatbin (the message
   *     says what is wrong)
   */
  public static List<Entry> entries(byte[] image) {
    ByteBuffer in = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
    require(image.length >= 16, "fatbin length", image.length, ">= 16 bytes");
    int magic = in.getInt(0);
    require(magic == MAGIC, "fatbin magic", hex(magic), hex(MAGIC));
    int headerSize = Short.toUnsignedInt(in.getShort(6));
    long bodySize = in.getLong(8);
    require(
        headerSize + bodySize <= image.length,
        "fatbin size",
        headerSize + bodySize,
        "<= " + image.length + " bytes, the image's length");
    List<Entry> entries = new ArrayList<>();
    long end = headerSize + bodySize;
    for (long at = headerSize; at < end; ) {
      require(at + 48 <= end, "fatbin entry offset", at, "an entry header inside the fatbin");
      int kind = Short.toUnsignedInt(in.getShort((int) at));
      int entryHeader = in.getInt((int) at + 4);
      long payloadSize = in.getLong((int) at + 8);
      int arch = in.getInt((int) at + 28);
      long flags = in.getLong((int) at + 40);
      long payload = at + entryHeader;
      require(payload + payloadSize <= end, "fatbin entry size", payloadSize, "inside the fatbin");
      require((flags & FLAG_COMPRESSED) == 0, "fatbin entry", "compressed", "uncompressed");
      entries.add(entry(kind, arch, image, (int) payload, (int) payloadSize));
      at = payload + payloadSize;
    }
    return entries;
  }

  private static Entry entry(int kind, int arch, byte[] image, int offset, int length) {
    if (kind == KIND_ELF) {
      return new Entry("sm_" + arch, ElfSymbols.functions(image, offset, length));
    }
    require(kind == KIND_PTX, "fatbin entry kind", kind, "1 (PTX) or 2 (ELF)");
    String ptx = new String(image, offset, length, StandardCharsets.US_ASCII);
    Set<String> kernels = new TreeSet<>();
    Matcher m = PTX_ENTRY.matcher(ptx);
    while (m.find()) {
      kernels.add(m.group(1));
    }
    return new Entry("compute_" + arch, kernels);
  }

  static void require(boolean ok, String thing, Object value, String expected) {
    if (!ok) {
      throw new IllegalArgumentException(
          String.format("Invalid %s: %s (expected: %s)", thing, value, expected));
    }
  }

  private static String hex(int value) {
    return String.format("0x%08x", value);
  }
}
