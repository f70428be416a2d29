package dev.sparkmoe.core.pipeline;

import dev.sparkmoe.core.backend.ExpertBackend;
import dev.sparkmoe.core.backend.ExpertSource;
import dev.sparkmoe.core.batch.CombineBatch;
import dev.sparkmoe.core.batch.DispatchBatch;
import dev.sparkmoe.core.forward.WeightedExperts;

/**
 * The expert side of the pipeline, engine-agnostic: computes the experts of one slot on a dispatch
 * batch — one backend call per expert present in the batch, through {@link WeightedExperts} as the
 * reference forward does — and returns the outputs multiplied by their routing weights, in the
 * batch's entry order, addressed back to the batch's owner partition.
 *
 * <p>Thread-safe if the backend and the expert source are.
 */
public final class ExpertWorker {
  private final ExpertBackend backend;
  private final ExpertSource experts;

  public ExpertWorker(ExpertBackend backend, ExpertSource experts) {
    this.backend = backend;
    this.experts = experts;
  }

  /**
   * Computes the batch; {@code tokensPerExpert[e]} is incremented by the tokens expert e received.
   */
  public CombineBatch compute(DispatchBatch batch, long[] tokensPerExpert) {
    int hidden = batch.hidden();
    float[] outputs = new float[batch.numTokens() * hidden];
    WeightedExperts.Entries entries =
        new WeightedExperts.Entries(
            batch.activations(), hidden, /* entriesPerRow= */ 1, batch.weights());
    int[][] byExpert = WeightedExperts.byExpert(batch.experts());
    for (int expert = 0; expert < byExpert.length; expert++) {
      if (byExpert[expert].length == 0) {
        continue;
      }
      tokensPerExpert[expert] += byExpert[expert].length;
      WeightedExperts.compute(
          backend, experts.resident(batch.layer(), expert), entries, byExpert[expert], outputs);
    }
    return new CombineBatch(
        batch.layer(),
        batch.sourcePartition(),
        hidden,
        batch.rowKeys(),
        batch.positions(),
        batch.experts(),
        outputs);
  }
}
