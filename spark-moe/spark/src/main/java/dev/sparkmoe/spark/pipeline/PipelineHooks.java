package dev.sparkmoe.spark.pipeline;

/**
 * Points in the pipeline's tasks where test code may act, such as failing a task to prove that
 * Spark's recomputation changes nothing. The product installs no hook; a test installs one in every
 * executor JVM (through a test-scope Spark plugin). Thread-safe: the installed hook is read on
 * every task thread.
 */
final class PipelineHooks {
  /** Called on a task's thread as the task starts its work; by default, does nothing. */
  interface Hook {
    /** An owner task about to combine {@code layer - 1} and route {@code layer}. */
    default void ownerTask(int layer, int partition) {}

    /** An expert task about to compute {@code layer} on {@code slot}. */
    default void expertTask(int layer, int slot) {}

    /** The last owner task of a partition, about to combine the last layer. */
    default void lastTask(int partition) {}

    /**
     * An expert server of {@code slot}, started by attempt {@code stageAttempt} of the barrier
     * stage, about to compute an expert of {@code layer}; called on a server thread.
     */
    default void expertServer(int layer, int slot, int stageAttempt) {}
  }

  private static final Hook NONE = new Hook() {};
  private static volatile Hook installed = NONE;

  private PipelineHooks() {}

  static Hook installed() {
    return installed;
  }

  /** Installs {@code hook} in this JVM; null restores the default. */
  static void install(Hook hook) {
    installed = hook == null ? NONE : hook;
  }
}
