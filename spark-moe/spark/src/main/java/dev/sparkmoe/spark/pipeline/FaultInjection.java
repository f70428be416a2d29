package dev.sparkmoe.spark.pipeline;

import java.io.Serializable;
import java.util.Locale;
import org.apache.spark.TaskContext;

/**
 * A test hook that makes one pipeline task fail on its first attempt, to prove that Spark's
 * recomputation gives every row exactly once and the same values. Set {@code
 * spark.moe.test.inject-fault} to {@code STAGE:LAYER:INDEX:ACTION}: stage {@code owner} (routing of
 * LAYER, which also combines LAYER - 1), {@code expert} or {@code last} (the final combine; LAYER
 * is ignored), INDEX the owner partition or slot, ACTION {@code throw} (the task fails) or {@code
 * exit} (the executor JVM exits). Only the first attempt of the first stage attempt fails. Never
 * set in production.
 *
 * @param stage owner, expert or last
 */
record FaultInjection(String stage, int layer, int index, String action) implements Serializable {
  private static final long serialVersionUID = 1L;

  static final String KEY = "spark.moe.test.inject-fault";
  static final String OWNER = "owner";
  static final String EXPERT = "expert";
  static final String LAST = "last";

  /** Parses the conf value; null when unset. */
  static FaultInjection parse(String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    String[] parts = value.trim().toLowerCase(Locale.ROOT).split(":");
    if (parts.length != 4 || !(parts[3].equals("throw") || parts[3].equals("exit"))) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid %s: %s (expected: owner|expert|last:LAYER:INDEX:throw|exit)", KEY, value));
    }
    return new FaultInjection(
        parts[0], Integer.parseInt(parts[1]), Integer.parseInt(parts[2]), parts[3]);
  }

  /** Fails the running task if it is the chosen one, on its first attempt. */
  static void maybeFail(FaultInjection fault, String stage, int layer, int index) {
    if (fault == null || !fault.stage.equals(stage) || fault.index != index) {
      return;
    }
    if (!stage.equals(LAST) && fault.layer != layer) {
      return;
    }
    TaskContext context = TaskContext.get();
    if (context == null || context.attemptNumber() != 0 || context.stageAttemptNumber() != 0) {
      return;
    }
    if (fault.action.equals("exit")) {
      Runtime.getRuntime().halt(17);
    }
    throw new IllegalStateException(
        String.format("Injected fault in %s task %d of layer %d (%s)", stage, index, layer, KEY));
  }
}
