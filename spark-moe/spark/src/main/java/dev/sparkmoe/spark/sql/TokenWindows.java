package dev.sparkmoe.spark.sql;

import dev.sparkmoe.core.Checks;
import java.io.Serializable;
import java.util.Arrays;
import scala.runtime.AbstractFunction3;

/**
 * {@code moe_windows(tokens, length, stride)}, one row at a time: a long token array split into
 * windows that fit the model, for {@code explode}. Window {@code w} starts at {@code w * stride}
 * and holds up to {@code length} ids; the last window is the first that reaches the end of the
 * array, so every id is in at least one window and only the last may be shorter. An empty array has
 * no windows; NULL in any argument gives NULL. Spark calls it as the function of a {@code
 * ScalaUDF}; spark-moe-rapids extends it with a columnar GPU path that gives the same results.
 * Stateless, so thread-safe.
 */
public class TokenWindows extends AbstractFunction3<Object, Object, Object, Object>
    implements Serializable {
  public static final String NAME = "moe_windows";
  private static final long serialVersionUID = 1L;

  @Override
  public final Object apply(Object tokens, Object length, Object stride) {
    if (tokens == null || length == null || stride == null) {
      return null;
    }
    int size = (Integer) length;
    int step = (Integer) stride;
    checkShape(size, step);
    Object[] values = TokenArrays.values(tokens);
    Object[][] windows = new Object[count(values.length, size, step)][];
    for (int w = 0; w < windows.length; w++) {
      int start = w * step;
      windows[w] = Arrays.copyOfRange(values, start, Math.min(values.length, start + size));
    }
    return windows;
  }

  /**
   * The number of windows of an array of {@code size} ids: 0 when empty, else as the class says.
   */
  public static int count(int size, int length, int stride) {
    return size == 0 ? 0 : 1 + (Math.max(size - length, 0) + stride - 1) / stride;
  }

  /** Checks the {@code length} and {@code stride} arguments. */
  public static void checkShape(long length, long stride) {
    Checks.checkArgument(
        length >= 1,
        "Invalid length of %s(tokens, length, stride): %d (expected: length >= 1, the ids per"
            + " window)",
        NAME,
        length);
    Checks.checkArgument(
        stride >= 1 && stride <= length,
        "Invalid stride of %s(tokens, length, stride): %d (expected: 1 <= stride <= length %d, so"
            + " that no id is skipped)",
        NAME,
        stride,
        length);
  }
}
