package dev.sparkmoe.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;

/** The global function symbols of a little-endian ELF64 image: a cubin's kernels. */
final class ElfSymbols {
  private static final int SHT_SYMTAB = 2;
  private static final int STT_FUNC = 2;
  private static final int STB_GLOBAL = 1;
  private static final int SECTION_HEADER = 64;
  private static final int SYMBOL = 24;

  private ElfSymbols() {}

  static Set<String> functions(byte[] image, int offset, int length) {
    ByteBuffer elf = ByteBuffer.wrap(image, offset, length).slice().order(ByteOrder.LITTLE_ENDIAN);
    Fatbin.require(
        length >= 64 && elf.getInt(0) == 0x464c457f, "ELF image", "no ELF magic", "\\x7fELF");
    Fatbin.require(elf.get(4) == 2, "ELF class", elf.get(4), "2 (64-bit)");
    long sectionTable = elf.getLong(0x28);
    int sectionCount = Short.toUnsignedInt(elf.getShort(0x3c));
    Set<String> names = new TreeSet<>();
    for (int i = 0; i < sectionCount; i++) {
      int header = (int) (sectionTable + (long) i * SECTION_HEADER);
      Fatbin.require(
          header + SECTION_HEADER <= length, "ELF section header", i, "inside the image");
      if (elf.getInt(header + 4) == SHT_SYMTAB) {
        int strings = (int) (sectionTable + (long) elf.getInt(header + 40) * SECTION_HEADER);
        addFunctions(elf, header, (int) elf.getLong(strings + 24), names);
      }
    }
    return names;
  }

  private static void addFunctions(
      ByteBuffer elf, int symtabHeader, int stringsAt, Set<String> out) {
    int at = (int) elf.getLong(symtabHeader + 24);
    int size = (int) elf.getLong(symtabHeader + 32);
    for (int s = at; s + SYMBOL <= at + size; s += SYMBOL) {
      int info = Byte.toUnsignedInt(elf.get(s + 4));
      if ((info & 0xf) == STT_FUNC && (info >> 4) == STB_GLOBAL) {
        out.add(string(elf, stringsAt + elf.getInt(s)));
      }
    }
  }

  private static String string(ByteBuffer elf, int at) {
    int end = at;
    while (end < elf.limit() && elf.get(end) != 0) {
      end++;
    }
    byte[] bytes = new byte[end - at];
    elf.get(at, bytes);
    return new String(bytes, StandardCharsets.US_ASCII);
  }
}
