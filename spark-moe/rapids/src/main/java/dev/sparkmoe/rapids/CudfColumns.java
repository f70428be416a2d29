package dev.sparkmoe.rapids;

import ai.rapids.cudf.ColumnVector;
import ai.rapids.cudf.ColumnView;
import ai.rapids.cudf.HostColumnVector;
import ai.rapids.cudf.Scalar;
import java.util.function.IntConsumer;

/** The cudf steps the token-array functions share. Every result is a new column the caller owns. */
final class CudfColumns {
  private CudfColumns() {}

  /** The number of ids of each list row, 0 for a NULL row. */
  static ColumnVector sizes(ColumnView lists) {
    try (ColumnVector counts = lists.countElements()) {
      return withoutNulls(counts, 0);
    }
  }

  /** An INT32 column with {@code value} in place of NULL. */
  static ColumnVector withoutNulls(ColumnView ints, int value) {
    try (Scalar replacement = Scalar.fromInt(value)) {
      return ints.replaceNulls(replacement);
    }
  }

  /** An INT32 column of {@code rows} copies of {@code value}. */
  static ColumnVector filled(int value, int rows) {
    try (Scalar scalar = Scalar.fromInt(value)) {
      return ColumnVector.fromScalar(scalar, rows);
    }
  }

  /** The smallest non-NULL value of an INT32 column; {@code whenEmpty} where every row is NULL. */
  static int minimum(ColumnView ints, int whenEmpty) {
    try (Scalar min = ints.min()) {
      return min.isValid() ? min.getInt() : whenEmpty;
    }
  }

  /** Calls {@code check} with each non-NULL value: the slow path, for finding a bad argument. */
  static void forEachValue(ColumnView ints, IntConsumer check) {
    try (HostColumnVector host = ints.copyToHost()) {
      for (long row = 0; row < host.getRowCount(); row++) {
        if (!host.isNull(row)) {
          check.accept(host.getInt(row));
        }
      }
    }
  }
}
