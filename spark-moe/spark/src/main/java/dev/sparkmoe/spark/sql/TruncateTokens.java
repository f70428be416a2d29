package dev.sparkmoe.spark.sql;

import dev.sparkmoe.core.Checks;
import java.io.Serializable;
import java.util.Arrays;
import scala.runtime.AbstractFunction2;

/**
 * {@code moe_truncate(tokens, n)}, one row at a time: the first {@code min(n, size)} ids of a token
 * array, NULL when either argument is NULL. Spark calls it as the function of a {@code ScalaUDF};
 * spark-moe-rapids extends it with a columnar GPU path that gives the same results. Stateless, so
 * thread-safe.
 */
public class TruncateTokens extends AbstractFunction2<Object, Object, Object>
    implements Serializable {
  public static final String NAME = "moe_truncate";
  private static final long serialVersionUID = 1L;

  @Override
  public final Object apply(Object tokens, Object n) {
    if (tokens == null || n == null) {
      return null;
    }
    int keep = (Integer) n;
    checkCount(keep);
    Object[] values = TokenArrays.values(tokens);
    return Arrays.copyOf(values, Math.min(keep, values.length));
  }

  /** Checks the {@code n} argument. */
  public static void checkCount(long n) {
    Checks.checkArgument(
        n >= 0, "Invalid n of %s(tokens, n): %d (expected: n >= 0, the ids to keep)", NAME, n);
  }
}
