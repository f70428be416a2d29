package dev.sparkmoe.spark.sql;

import scala.collection.Seq;

/** Token arrays as Spark hands them to a row-by-row function, and the checks of their arguments. */
final class TokenArrays {
  private TokenArrays() {}

  /** The elements of an {@code array<int>} value that Spark converted to a Scala sequence. */
  static Object[] values(Object tokens) {
    Seq<?> seq = (Seq<?>) tokens;
    Object[] values = new Object[seq.length()];
    for (int i = 0; i < values.length; i++) {
      values[i] = seq.apply(i);
    }
    return values;
  }
}
