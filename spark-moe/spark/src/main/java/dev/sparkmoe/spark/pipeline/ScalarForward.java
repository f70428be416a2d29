package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.generate.Generation;
import dev.sparkmoe.core.model.ModelConfig;
import java.io.Serializable;
import java.util.List;

/**
 * The forward the scalar SQL functions run over one batch of a task's rows: in-task ({@link
 * InTaskForward}) or through the query's expert servers ({@link ServiceForward}). Both give a row
 * the outputs {@code moe infer} gives it with the same placement.
 *
 * <p>Not thread-safe; one per task.
 */
public interface ScalarForward {
  ModelConfig config();

  /** Runs every layer over {@code tokens} (each row at least one valid token). */
  InTaskForward.Outputs run(List<int[]> tokens);

  /**
   * Generates for {@code prompts}, row {@code r} keyed by {@code ids.get(r)} for seeded sampling.
   *
   * @throws UnsupportedOperationException where this forward cannot generate
   */
  List<Generation> generate(List<Object> ids, List<int[]> prompts, GenerateSettings settings);

  /** Where a task opens its forward: shipped in the operator's closure, a few bytes. */
  interface Source extends Serializable {
    /** Opens the forward in the running task, on the executor's resident model. */
    ScalarForward open();

    /** How EXPLAIN names the exchange behind the forward. */
    String explain();
  }
}
