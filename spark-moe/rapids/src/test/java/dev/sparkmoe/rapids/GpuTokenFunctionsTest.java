package dev.sparkmoe.rapids;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.rapids.cudf.ColumnVector;
import ai.rapids.cudf.DType;
import ai.rapids.cudf.HostColumnVector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import scala.collection.JavaConverters;

/**
 * The GPU paths of {@code moe_truncate} and {@code moe_windows} against their CPU paths, row by
 * row, on random token lists with empty and NULL rows. Needs a CUDA GPU and the RAPIDS jar's cudf
 * natives: tagged {@code gpu}, which this module's CI run excludes; on a GPU machine run {@code mvn
 * -pl spark-moe/rapids -am test -Dtest=GpuTokenFunctionsTest -Drapids.test.excludedGroups=none
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("gpu")
class GpuTokenFunctionsTest {
  private static final HostColumnVector.DataType TOKEN_LISTS =
      new HostColumnVector.ListType(true, new HostColumnVector.BasicType(true, DType.INT32));

  @Test
  void truncateMatchesTheCpuPath() {
    List<List<Integer>> rows = randomRows(new Random(ThreadLocalRandom.current().nextLong()));
    GpuTruncateTokens function = new GpuTruncateTokens();
    for (int n : new int[] {0, 1, 7, 300}) {
      try (ColumnVector tokens = tokenColumn(rows);
          ColumnVector ns = ColumnVector.fromBoxedInts(nulledEvery(rows.size(), 11, n));
          ColumnVector out = function.evaluateColumnar(rows.size(), tokens, ns);
          HostColumnVector host = out.copyToHost()) {
        for (int row = 0; row < rows.size(); row++) {
          Object cpu =
              function.apply(
                  seq(rows.get(row)), row % 11 == 10 ? null : (Object) Integer.valueOf(n));
          assertThat(host.isNull(row) ? null : host.getList(row))
              .as("row %d, n %d", row, n)
              .isEqualTo(cpu == null ? null : Arrays.asList((Object[]) cpu));
        }
      }
    }
  }

  @Test
  void windowsMatchTheCpuPath() {
    List<List<Integer>> rows = randomRows(new Random(ThreadLocalRandom.current().nextLong()));
    GpuTokenWindows function = new GpuTokenWindows();
    int[][] shapes = {{4, 4}, {5, 2}, {3, 1}, {64, 16}, {512, 512}};
    for (int[] shape : shapes) {
      try (ColumnVector tokens = tokenColumn(rows);
          ColumnVector lengths =
              ColumnVector.fromBoxedInts(nulledEvery(rows.size(), 13, shape[0]));
          ColumnVector strides =
              ColumnVector.fromBoxedInts(nulledEvery(rows.size(), 17, shape[1]));
          ColumnVector out = function.evaluateColumnar(rows.size(), tokens, lengths, strides);
          HostColumnVector host = out.copyToHost()) {
        for (int row = 0; row < rows.size(); row++) {
          Object length = row % 13 == 12 ? null : (Object) shape[0];
          Object stride = row % 17 == 16 ? null : (Object) shape[1];
          Object cpu = function.apply(seq(rows.get(row)), length, stride);
          assertThat(host.isNull(row) ? null : host.getList(row))
              .as("row %d, length %d, stride %d", row, shape[0], shape[1])
              .isEqualTo(cpu == null ? null : windows((Object[]) cpu));
        }
      }
    }
  }

  @Test
  void aBadArgumentFailsWithTheCpuMessage() {
    List<List<Integer>> rows = List.of(List.of(1, 2, 3), List.of(4));
    try (ColumnVector tokens = tokenColumn(rows);
        ColumnVector lengths = ColumnVector.fromBoxedInts(4, 4);
        ColumnVector strides = ColumnVector.fromBoxedInts(2, 5)) {
      assertThatThrownBy(() -> new GpuTokenWindows().evaluateColumnar(2, tokens, lengths, strides))
          .hasMessage(
              "Invalid stride of moe_windows(tokens, length, stride): 5 (expected: 1 <= stride <="
                  + " length 4, so that no id is skipped)");
    }
  }

  /** 300 rows of 0 to 700 ids; every 7th NULL. */
  private static List<List<Integer>> randomRows(Random random) {
    List<List<Integer>> rows = new ArrayList<>();
    for (int row = 0; row < 300; row++) {
      if (row % 7 == 6) {
        rows.add(null);
        continue;
      }
      List<Integer> ids = new ArrayList<>();
      int size = random.nextInt(5) == 0 ? 0 : random.nextInt(700);
      for (int i = 0; i < size; i++) {
        ids.add(random.nextInt(32_000));
      }
      rows.add(ids);
    }
    return rows;
  }

  @SuppressWarnings("unchecked")
  private static ColumnVector tokenColumn(List<List<Integer>> rows) {
    return ColumnVector.fromLists(TOKEN_LISTS, rows.toArray(new List[0]));
  }

  private static Integer[] nulledEvery(int rows, int every, int value) {
    Integer[] values = new Integer[rows];
    for (int row = 0; row < rows; row++) {
      values[row] = row % every == every - 1 ? null : value;
    }
    return values;
  }

  private static Object seq(List<Integer> ids) {
    return ids == null ? null : JavaConverters.asScalaBuffer(new ArrayList<Object>(ids)).toSeq();
  }

  private static List<List<Object>> windows(Object[] cpu) {
    List<List<Object>> windows = new ArrayList<>();
    for (Object window : cpu) {
      windows.add(Arrays.asList((Object[]) window));
    }
    return windows;
  }
}
