package dev.sparkmoe.cuda;

import java.util.Optional;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Enables {@link GpuTest} classes only where {@link CudaAvailability#reason()} is empty. */
public final class GpuCondition implements ExecutionCondition {
  /** Set to {@code true} where a GPU must be present: a missing one then fails the tests. */
  public static final String REQUIRED_PROPERTY = "moe.gpu.required";

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    Optional<String> reason = CudaAvailability.reason();
    if (reason.isEmpty()) {
      return ConditionEvaluationResult.enabled("a CUDA GPU is present");
    }
    if (Boolean.getBoolean(REQUIRED_PROPERTY)) {
      throw new IllegalStateException(
          "Cannot run the GPU tests (" + REQUIRED_PROPERTY + "=true): " + reason.get());
    }
    return ConditionEvaluationResult.disabled("no CUDA GPU here: " + reason.get());
  }
}
