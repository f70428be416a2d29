package dev.sparkmoe.core.safetensors;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * Safetensors files built from random headers: dtypes valid and not, shapes small, huge, negative
 * or not numbers, offsets consistent with the shapes or not, data sections of the right length or
 * not, and length prefixes that tell the truth or claim far more than the file holds.
 */
final class RandomHeaders {
  private RandomHeaders() {}

  /** How an entry's data_offsets are drawn. */
  enum Offsets {
    /** Right after the previous entry, spanning the bytes its shape and dtype need. */
    CONSISTENT,
    /** Two small numbers. */
    SMALL,
    /** Spanning a huge claimed size from the running offset. */
    HUGE,
    /** Not a pair of non-negative integers. */
    MALFORMED
  }

  /** One tensor entry; the JSON fragments are written as they are. */
  record Entry(String name, String dtype, List<String> dims, Offsets offsets, int pick) {}

  /**
   * A whole file.
   *
   * @param dataDelta bytes added to (or, negative, cut from) the data section the entries need
   * @param prefix the length prefix; null for the true header length
   * @param padding spaces before and after the JSON object
   */
  record File(List<Entry> entries, String metadata, long dataDelta, Long prefix, int padding) {
    byte[] bytes() {
      StringBuilder json = new StringBuilder("{");
      long offset = 0;
      List<String> parts = new ArrayList<>();
      if (metadata != null) {
        parts.add("\"__metadata__\": " + metadata);
      }
      for (Entry entry : entries) {
        long size = sizeBytes(entry);
        String offsets = offsets(entry, offset, size);
        parts.add(render(entry, offsets));
        offset = entry.offsets() == Offsets.CONSISTENT && size >= 0 ? offset + size : offset;
      }
      json.append(String.join(", ", parts)).append('}');
      String pad = " ".repeat(padding);
      byte[] header = (pad + json + pad).getBytes(StandardCharsets.UTF_8);
      int dataLength = (int) Math.max(0, Math.min(1 << 16, offset + dataDelta));
      ByteBuffer out = ByteBuffer.allocate(8 + header.length + dataLength);
      out.order(ByteOrder.LITTLE_ENDIAN).putLong(prefix == null ? header.length : prefix);
      return out.put(header).array();
    }
  }

  static Arbitrary<File> files() {
    Arbitrary<Long> prefix =
        Arbitraries.oneOf(
                Arbitraries.of(0L, 1L, 2L, 100_000_001L, 1L << 32, -1L, Long.MIN_VALUE),
                Arbitraries.longs())
            .injectNull(0.75);
    Arbitrary<Long> dataDelta =
        Arbitraries.oneOf(Arbitraries.just(0L), Arbitraries.longs().between(-16, 16));
    return Combinators.combine(
            entries().list().ofMaxSize(4),
            metadata(),
            dataDelta,
            prefix,
            Arbitraries.integers().between(0, 2))
        .as(File::new);
  }

  private static Arbitrary<Entry> entries() {
    Arbitrary<String> dtype =
        Arbitraries.oneOf(
            Arbitraries.of("\"F32\"", "\"F16\"", "\"BF16\""),
            Arbitraries.of("\"F64\"", "\"I8\"", "\"BOOL\"", "\"\"", "\"f32\"", "3", "null", "[]"));
    Arbitrary<String> dim =
        Arbitraries.frequencyOf(
            Tuple.of(8, Arbitraries.integers().between(0, 5).map(String::valueOf)),
            Tuple.of(
                2,
                Arbitraries.of(
                    "1048576",
                    "2147483648",
                    "4294967297",
                    "4611686018427387904",
                    "9223372036854775807")),
            Tuple.of(
                1, Arbitraries.of("-1", "1.5", "\"2\"", "null", "18446744073709551616", "1e3")));
    return Combinators.combine(
            Arbitraries.of("a", "b", "c", "a.b", "", "__metadata__"),
            dtype,
            dim.list().ofMaxSize(3),
            Arbitraries.of(Offsets.class),
            Arbitraries.integers().between(0, 63))
        .as(Entry::new);
  }

  private static Arbitrary<String> metadata() {
    return Arbitraries.of(
            "{}", "{\"format\": \"pt\"}", "{\"step\": 3}", "[]", "\"pt\"", "{\"a\": {}}")
        .injectNull(0.5);
  }

  /** The bytes the entry's shape and dtype need, or -1 when they are not valid or overflow. */
  private static long sizeBytes(Entry entry) {
    int element =
        switch (entry.dtype()) {
          case "\"F32\"" -> 4;
          case "\"F16\"", "\"BF16\"" -> 2;
          default -> -1;
        };
    BigInteger size = BigInteger.valueOf(element);
    for (String dim : entry.dims()) {
      if (!dim.matches("\\d+")) {
        return -1;
      }
      size = size.multiply(new BigInteger(dim));
    }
    return element < 0 || size.bitLength() > 62 ? -1 : size.longValue();
  }

  private static String offsets(Entry entry, long offset, long size) {
    return switch (entry.offsets()) {
      case CONSISTENT -> String.format("[%d, %d]", offset, offset + Math.max(size, entry.pick()));
      case SMALL -> String.format("[%d, %d]", entry.pick() % 8 * 4, entry.pick());
      case HUGE -> String.format("[%d, %d]", offset, offset + (1L << (30 + entry.pick() % 32)));
      case MALFORMED ->
          List.of("[0]", "[0, 8, 16]", "\"0\"", "[-1, 4]", "[0.5, 4]", "[0, 1e30]", "null")
              .get(entry.pick() % 7);
    };
  }

  private static String render(Entry entry, String offsets) {
    return String.format(
        "\"%s\": {\"dtype\": %s, \"shape\": [%s], \"data_offsets\": %s}",
        entry.name(), entry.dtype(), String.join(", ", entry.dims()), offsets);
  }
}
