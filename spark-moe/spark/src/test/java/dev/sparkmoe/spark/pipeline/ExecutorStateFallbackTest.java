package dev.sparkmoe.spark.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.spark.SparkTestSession;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Local Spark without {@link MoeSparkPlugin}: the pipeline runs on the JVM-wide fallback state,
 * with the same results and the same handling of a rewritten model.
 */
class ExecutorStateFallbackTest {
  @TempDir static Path temp;
  private static SparkSession spark;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.start("ExecutorStateFallbackTest");
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  @Test
  void withoutThePluginTheJvmWideStateServes() {
    assertThat(ExecutorState.installed()).isEmpty();
    assertThat(ExecutorState.current().name()).isEqualTo(ExecutorState.FALLBACK_NAME);
    assertThat(ExecutorState.current()).as("one per JVM").isSameAs(ExecutorState.current());
  }

  @Test
  void aRewrittenModelIsServedFresh() {
    ExecutorLifetimeChecks.rewrittenModelIsServedFreshBy(
        spark, ExecutorState.current(), temp.resolve("model"));
  }
}
