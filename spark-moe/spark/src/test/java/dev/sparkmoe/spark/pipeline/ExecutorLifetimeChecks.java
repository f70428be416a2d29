package dev.sparkmoe.spark.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.spark.sql.InferenceFixtures;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * What the pipeline must do with whichever executor state serves it: correct results, every Arrow
 * buffer returned, and a model rewritten at the same path served fresh while the stale runtime
 * closes.
 */
final class ExecutorLifetimeChecks {
  private ExecutorLifetimeChecks() {}

  /**
   * Runs a tiny model written to {@code directory}, rewrites it there with another seed and runs it
   * again: each run matches its own model's reference forward, both are served by {@code state},
   * and the first model's runtime is closed once the second run has replaced it.
   */
  static void rewrittenModelIsServedFreshBy(
      SparkSession spark, ExecutorState state, Path directory) {
    String model = directory.toString();
    List<int[]> tokens = InferenceFixtures.randomTokens(12);
    Dataset<Row> input = InferenceFixtures.table(spark, tokens, "id", "tokens");

    ModelFixtures.tinyMixtral(directory);
    assertMatchesReference(MoeInference.of(model).partitions(2).run(input), directory, tokens);
    ExecutorRuntime first = runtimeOf(state, model);
    assertThat(first.isClosed()).isFalse();
    assertThat(state.allocator().getAllocatedMemory())
        .as("every Arrow buffer of the run was closed")
        .isZero();

    ModelFixtures.write(ModelFixtures.tiny().toBuilder().seed(seed()).build(), directory);
    assertMatchesReference(MoeInference.of(model).partitions(2).run(input), directory, tokens);
    ExecutorRuntime second = runtimeOf(state, model);
    assertThat(second).as("a fresh runtime for the rewritten model").isNotSameAs(first);
    assertThat(first.isClosed()).as("the stale runtime, unused once its tasks ended").isTrue();
  }

  private static void assertMatchesReference(
      MoeInference.MoeRun run, Path model, List<int[]> tokens) {
    Map<Long, float[]> out = InferenceFixtures.embeddingsById(run.rows());
    Map<Long, float[]> reference = InferenceFixtures.embeddings(model, tokens);
    assertThat(out).hasSize(tokens.size() + 2);
    for (Map.Entry<Long, float[]> row : reference.entrySet()) {
      assertThat(InferenceFixtures.relativeError(out.get(row.getKey()), row.getValue()))
          .as("row %d", row.getKey())
          .isLessThan(1e-5);
    }
  }

  /** The one open runtime of {@code model} in {@code state}. */
  private static ExecutorRuntime runtimeOf(ExecutorState state, String model) {
    List<ExecutorRuntime> open =
        state.openRuntimes().stream()
            .filter(runtime -> runtime.fingerprint().directory().toString().equals(model))
            .toList();
    assertThat(open).as("open runtimes of %s in executor state %s", model, state.name()).hasSize(1);
    return open.get(0);
  }

  private static long seed() {
    return ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
  }
}
