package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.batch.ActivationDtype;
import dev.sparkmoe.core.forward.OutputKind;
import dev.sparkmoe.core.nn.ComputeDtype;
import dev.sparkmoe.core.placement.PlacementPlan;
import java.io.Serializable;

/**
 * Everything the pipeline's tasks need, shipped in their closures: a few kilobytes, never weights.
 *
 * @param modelPath model directory, readable from every executor
 * @param backend expert backend name
 * @param kind what the final stage outputs
 * @param activationDtype dtype of activations in the shuffle
 * @param computeDtype dtype the expert FFNs compute in
 * @param placement where every expert lives
 * @param partitions token-owner partitions
 * @param invalidTokens what to do with a row whose tokens the model cannot take
 * @param runId the run's random id: executors restart their heap high-water marks for a new run
 * @param service the service mode's knobs (unused by the other jobs)
 * @param generate the settings of kind {@code generate}; null for the other kinds
 */
record PipelineManifest(
    String modelPath,
    String backend,
    OutputKind kind,
    ActivationDtype activationDtype,
    ComputeDtype computeDtype,
    PlacementPlan placement,
    int partitions,
    InvalidTokenPolicy invalidTokens,
    long runId,
    ServiceSettings service,
    GenerateSettings generate)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** This manifest with experts placed by {@code plan}. */
  PipelineManifest withPlacement(PlacementPlan plan) {
    return new PipelineManifest(
        modelPath,
        backend,
        kind,
        activationDtype,
        computeDtype,
        plan,
        partitions,
        invalidTokens,
        runId,
        service,
        generate);
  }

  ExecutorRuntime runtime() {
    return ExecutorRuntime.get(modelPath, backend, computeDtype);
  }
}
