package dev.sparkmoe.spark.sql;

import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import org.apache.spark.sql.SparkSessionExtensions;
import org.apache.spark.sql.SparkSessionExtensionsProvider;
import scala.runtime.BoxedUnit;

/**
 * Adds spark-moe's SQL functions to sessions: name it in {@code spark.sql.extensions}, or leave it
 * to {@code META-INF/services/org.apache.spark.sql.SparkSessionExtensionsProvider}, which Spark
 * reads for every new session when the jar is on the driver's classpath. Both at once are fine: the
 * functions are injected once per {@link SparkSessionExtensions}.
 */
public final class MoeSparkExtensions implements SparkSessionExtensionsProvider {
  private static final Map<SparkSessionExtensions, Boolean> APPLIED =
      Collections.synchronizedMap(new WeakHashMap<>());

  @Override
  public BoxedUnit apply(SparkSessionExtensions extensions) {
    if (APPLIED.putIfAbsent(extensions, Boolean.TRUE) == null) {
      for (MoeFunctions.Scalar function : MoeFunctions.scalars()) {
        extensions.injectFunction(function.description());
      }
      extensions.injectTableFunction(MoeFunctions.inferFunction().description());
      ModelCallPlanning.inject(extensions);
    }
    return BoxedUnit.UNIT;
  }
}
