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
 * Local Spark with {@code spark.plugins} naming {@link MoeSparkPlugin}: the executor (the driver
 * JVM's, in local mode) installs its own state at start, the pipeline runs on it, and stopping the
 * session closes it, runtimes and allocator included.
 */
class MoeSparkPluginTest {
  @TempDir static Path temp;
  private static SparkSession spark;
  private static ExecutorState state;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.startWithPlugin("MoeSparkPluginTest");
    state = ExecutorState.installed().orElseThrow();
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
    assertThat(ExecutorState.installed()).as("uninstalled at executor shutdown").isEmpty();
    assertThat(state.isClosed()).as("closed at executor shutdown").isTrue();
    assertThat(state.openRuntimes()).isEmpty();
  }

  @Test
  void theExecutorInstallsItsOwnState() {
    assertThat(state.name()).isEqualTo("spark-moe-executor-driver");
    assertThat(ExecutorState.current()).isSameAs(state);
    assertThat(ExecutorRuntime.allocator()).isSameAs(state.allocator());
  }

  @Test
  void aRewrittenModelIsServedFresh() {
    ExecutorLifetimeChecks.rewrittenModelIsServedFreshBy(spark, state, temp.resolve("model"));
  }
}
