package dev.sparkmoe.spark.sql;

import java.util.ArrayList;
import java.util.List;
import scala.collection.JavaConverters;
import scala.collection.Seq;

/** Java lists to Scala sequences and back, for the Catalyst nodes written in Java. */
final class ScalaUtil {
  private ScalaUtil() {}

  static <T> Seq<T> seq(List<T> list) {
    return JavaConverters.asScalaBuffer(new ArrayList<>(list)).toList();
  }

  static <T> List<T> list(Seq<T> seq) {
    return List.copyOf(JavaConverters.seqAsJavaList(seq));
  }

  /** {@code first} then {@code second}, as one sequence. */
  static <T> Seq<T> concat(Seq<? extends T> first, Seq<? extends T> second) {
    List<T> all = new ArrayList<>(JavaConverters.seqAsJavaList(first));
    all.addAll(JavaConverters.seqAsJavaList(second));
    return seq(all);
  }
}
