package dev.sparkmoe.core.safetensors;

import java.util.Arrays;
import java.util.Objects;
import java.util.function.IntUnaryOperator;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * One byte-level edit of a file: flip a bit, overwrite, insert, delete or truncate. Positions are
 * fractions of the target region so that an edit applies to a file of any length; three edits in
 * four land in the length prefix or the header, where the reader's checks are.
 *
 * @param kind what the edit does
 * @param inHeader whether the position is drawn from the prefix and header rather than the file
 * @param where the position, as a fraction of the region
 * @param bytes the bytes to write or insert; for a delete, how many to remove is their count
 */
record ByteMutation(Kind kind, boolean inHeader, double where, byte[] bytes) {
  enum Kind {
    FLIP_BIT,
    OVERWRITE,
    INSERT,
    DELETE,
    TRUNCATE
  }

  static Arbitrary<ByteMutation> any() {
    return Combinators.combine(
            Arbitraries.of(Kind.class),
            Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.just(true)), Tuple.of(1, Arbitraries.just(false))),
            Arbitraries.doubles().between(0, 1).withSpecialValue(0.0),
            Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(9))
        .as(ByteMutation::new);
  }

  /** The edited copy of {@code file}, whose prefix and header end at {@code headerEnd}. */
  byte[] apply(byte[] file, int headerEnd) {
    int region = Math.max(1, Math.min(inHeader ? headerEnd : file.length, file.length));
    int at = Math.min((int) (where * region), file.length);
    return switch (kind) {
      case FLIP_BIT -> edit(file, at, b -> (byte) (b ^ (1 << (bytes[0] & 7))));
      case OVERWRITE -> overwrite(file, at);
      case INSERT -> insert(file, at);
      case DELETE -> delete(file, at, bytes.length);
      case TRUNCATE -> Arrays.copyOf(file, at);
    };
  }

  private static byte[] edit(byte[] file, int at, IntUnaryOperator change) {
    byte[] out = file.clone();
    if (at < out.length) {
      out[at] = (byte) change.applyAsInt(out[at]);
    }
    return out;
  }

  private byte[] overwrite(byte[] file, int at) {
    byte[] out = file.clone();
    System.arraycopy(bytes, 0, out, at, Math.min(bytes.length, out.length - at));
    return out;
  }

  private byte[] insert(byte[] file, int at) {
    byte[] out = new byte[file.length + bytes.length];
    System.arraycopy(file, 0, out, 0, at);
    System.arraycopy(bytes, 0, out, at, bytes.length);
    System.arraycopy(file, at, out, at + bytes.length, file.length - at);
    return out;
  }

  private static byte[] delete(byte[] file, int at, int count) {
    int end = Math.min(file.length, at + count);
    byte[] out = new byte[file.length - (end - at)];
    System.arraycopy(file, 0, out, 0, at);
    System.arraycopy(file, end, out, at, file.length - end);
    return out;
  }

  @Override
  public String toString() {
    return String.format(
        "%s %s at %.4f %s", kind, inHeader ? "header" : "file", where, Arrays.toString(bytes));
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ByteMutation m
        && kind == m.kind
        && inHeader == m.inHeader
        && Double.compare(where, m.where) == 0
        && Arrays.equals(bytes, m.bytes);
  }

  @Override
  public int hashCode() {
    return 31 * Objects.hash(kind, inHeader, where) + Arrays.hashCode(bytes);
  }
}
