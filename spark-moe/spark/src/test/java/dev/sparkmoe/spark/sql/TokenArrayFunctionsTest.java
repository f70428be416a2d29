package dev.sparkmoe.spark.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.ScalaUDF;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code moe_truncate} and {@code moe_windows} on the CPU (no RAPIDS on this class path), against
 * the same arrays cut by Spark's own {@code slice}, {@code sequence} and {@code transform}.
 */
class TokenArrayFunctionsTest {
  @TempDir static Path temp;
  private static SparkSession spark;

  @BeforeAll
  static void setUp() {
    spark = SqlTestSession.withExtensionConf("TokenArrayFunctionsTest", temp.resolve("warehouse"));
    // 1 to 20 ids per row, then an empty array (id 1000) and NULL (id 1001).
    InferenceFixtures.table(spark, InferenceFixtures.randomTokens(40), "id", "tokens")
        .createOrReplaceTempView("docs");
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  @Test
  void truncateKeepsWhatSliceKeeps() {
    for (int n : new int[] {0, 1, 7, 25}) {
      List<Row> rows =
          spark
              .sql(
                  String.format(
                      "SELECT id, moe_truncate(tokens, %d) AS cut, slice(tokens, 1, %d) AS"
                          + " reference FROM docs",
                      n, Math.max(n, 1)))
              .collectAsList();
      assertThat(rows).hasSize(42);
      for (Row row : rows) {
        long id = row.getLong(0);
        if (id == 1001) {
          assertThat(row.isNullAt(1)).as("NULL tokens give NULL").isTrue();
        } else if (n == 0) {
          assertThat(row.getList(1)).as("row %d, n 0", id).isEmpty();
        } else {
          assertThat(row.getList(1))
              .as("row %d, n %d: slice(tokens, 1, n)", id, n)
              .isEqualTo(row.getList(2));
        }
      }
    }
  }

  @Test
  void windowsAreWhatSliceCutsAtEveryStride() {
    int[][] shapes = {{4, 4}, {5, 2}, {3, 1}, {32, 8}};
    for (int[] shape : shapes) {
      int length = shape[0];
      int stride = shape[1];
      // The reference counts windows by scanning starts: a window starts at every multiple of the
      // stride until one reaches the end of the array.
      String reference =
          String.format(
              "transform(filter(sequence(0, greatest(size(tokens) - 1, 0), %d), s -> s = 0 OR s -"
                  + " %d + %d < size(tokens)), s -> slice(tokens, s + 1, %d))",
              stride, stride, length, length);
      List<Row> rows =
          spark
              .sql(
                  String.format(
                      "SELECT id, moe_windows(tokens, %d, %d) AS w, %s AS reference FROM docs",
                      length, stride, reference))
              .collectAsList();
      for (Row row : rows) {
        long id = row.getLong(0);
        if (id == 1001) {
          assertThat(row.isNullAt(1)).as("NULL tokens give NULL").isTrue();
        } else if (id == 1000) {
          assertThat(row.getList(1)).as("an empty array has no windows").isEmpty();
        } else {
          assertThat(row.getList(1))
              .as("row %d, length %d, stride %d", id, length, stride)
              .isEqualTo(row.getList(2));
        }
      }
    }
  }

  @Test
  void windowsOfAKnownArray() {
    Row row =
        spark
            .sql(
                "SELECT moe_windows(array(1, 2, 3, 4, 5), 3, 2), moe_windows(array(1, 2), 3, 1),"
                    + " moe_windows(array(1, 2, 3, 4), 2, 2), moe_windows(CAST(NULL AS"
                    + " array<int>), 2, 1), moe_windows(array(1), NULL, 1)")
            .first();
    assertThat(row.getList(0).toString())
        .as("starts 0 and 2; the second reaches the end")
        .isEqualTo("[WrappedArray(1, 2, 3), WrappedArray(3, 4, 5)]");
    assertThat(row.getList(1).toString()).isEqualTo("[WrappedArray(1, 2)]");
    assertThat(row.getList(2).toString()).isEqualTo("[WrappedArray(1, 2), WrappedArray(3, 4)]");
    assertThat(row.isNullAt(3)).isTrue();
    assertThat(row.isNullAt(4)).isTrue();
  }

  @Test
  void explodedWindowsFeedAQueryOneWindowPerRow() {
    long windows =
        spark
            .sql("SELECT id, explode(moe_windows(tokens, 6, 3)) AS tokens FROM docs")
            .where("size(tokens) > 6")
            .count();
    assertThat(windows).as("no window is longer than its length").isZero();
    long expected =
        spark.sql("SELECT id, tokens FROM docs WHERE tokens IS NOT NULL").collectAsList().stream()
            .mapToLong(r -> TokenWindows.count(r.getList(1).size(), 6, 3))
            .sum();
    assertThat(spark.sql("SELECT explode(moe_windows(tokens, 6, 3)) FROM docs").count())
        .as("windows per row: 1 + ceil(max(size - 6, 0) / 3), none when empty")
        .isEqualTo(expected)
        .isGreaterThan(40);
  }

  @Test
  void withoutRapidsTheFunctionsAreTheCpuOnes() {
    Object plan =
        spark.sql("SELECT moe_windows(tokens, 4, 2) FROM docs").queryExecution().analyzed();
    assertThat(TokenUdfs.rapidsPresent(getClass().getClassLoader())).isFalse();
    assertThat(plan.toString()).contains("moe_windows(tokens#");
    ScalaUDF udf =
        (ScalaUDF)
            spark
                .sql("SELECT moe_truncate(tokens, 2) AS t FROM docs")
                .queryExecution()
                .analyzed()
                .expressions()
                .head()
                .collectFirst(
                    new scala.PartialFunction<
                        org.apache.spark.sql.catalyst.expressions.Expression, Object>() {
                      @Override
                      public boolean isDefinedAt(
                          org.apache.spark.sql.catalyst.expressions.Expression e) {
                        return e instanceof ScalaUDF;
                      }

                      @Override
                      public Object apply(org.apache.spark.sql.catalyst.expressions.Expression e) {
                        return e;
                      }
                    })
                .get();
    assertThat(udf.function().getClass()).isEqualTo(TruncateTokens.class);
  }

  @Test
  void badArgumentsNameTheArgumentAndWhatIsExpected() {
    assertThatThrownBy(() -> spark.sql("SELECT moe_truncate(tokens, -1) FROM docs"))
        .hasMessageContaining(
            "Invalid n of moe_truncate(tokens, n): -1 (expected: n >= 0, the ids to keep)");
    assertThatThrownBy(() -> spark.sql("SELECT moe_windows(tokens, 4, 5) FROM docs"))
        .hasMessageContaining(
            "Invalid stride of moe_windows(tokens, length, stride): 5 (expected: 1 <= stride <="
                + " length 4, so that no id is skipped)");
    assertThatThrownBy(() -> spark.sql("SELECT moe_windows(tokens, 0, 1) FROM docs"))
        .hasMessageContaining("Invalid length of moe_windows(tokens, length, stride): 0");
    assertThatThrownBy(() -> spark.sql("SELECT moe_windows(tokens, 4) FROM docs"))
        .hasMessageContaining(
            "Invalid number of arguments to moe_windows: 2 (expected: moe_windows(tokens, length,"
                + " stride))");
    assertThatThrownBy(() -> spark.sql("SELECT moe_truncate(cast(tokens AS string), 2) FROM docs"))
        .hasMessageContaining(
            "Invalid argument 1 of moe_truncate: CAST(docs.tokens AS STRING) of type string (expected:"
                + " array<int>, a token column)");
    assertThatThrownBy(() -> spark.sql("SELECT moe_truncate(tokens, 2L) FROM docs"))
        .hasMessageContaining(
            "Invalid argument 2 of moe_truncate: 2L of type bigint (expected: int, n, the ids to"
                + " keep)");
  }

  @Test
  void aBadValueInAColumnFailsTheTaskWithTheSameMessage() {
    assertThatThrownBy(
            () ->
                spark
                    .sql("SELECT moe_windows(tokens, CAST(id AS int) - 5, 1) FROM docs")
                    .collectAsList())
        .rootCause()
        .hasMessageContaining("Invalid length of moe_windows(tokens, length, stride): ");
  }
}
