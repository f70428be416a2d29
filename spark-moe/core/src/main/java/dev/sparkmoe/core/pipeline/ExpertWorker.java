package dev.sparkmoe.core.pipeline;

import dev.sparkmoe.core.backend.ExpertBackend;
import dev.sparkmoe.core.backend.ResidentExpert;
import dev.sparkmoe.core.batch.CombineBatch;
import dev.sparkmoe.core.batch.DispatchBatch;

/**
 * The expert side of the pipeline, engine-agnostic: computes the experts of one slot on a dispatch
 * batch — one backend call per expert present in the batch — and returns the outputs multiplied by
 * their routing weights, in the batch's entry order, addressed back to the batch's owner partition.
 *
 * <p>Thread-safe if the backend and the expert source are.
 */
public final class ExpertWorker {
  /** Gives the resident expert of a layer, making it resident on first use. */
  @FunctionalInterface
  public interface Experts {
    ResidentExpert resident(int layer, int expert);
  }

  private final ExpertBackend backend;
  private final Experts experts;

  public ExpertWorker(ExpertBackend backend, Experts experts) {
    this.backend = backend;
    this.experts = experts;
  }

  /**
   * Computes the batch; {@code tokensPerExpert[e]} is incremented by the tokens expert e received.
   */
  public CombineBatch compute(DispatchBatch batch, long[] tokensPerExpert) {
    int hidden = batch.hidden();
    int n = batch.numTokens();
    float[] outputs = new float[n * hidden];
    int[] order = new int[n];
    for (int expert : distinct(batch.experts())) {
      int count = 0;
      for (int i = 0; i < n; i++) {
        if (batch.experts()[i] == expert) {
          order[count++] = i;
        }
      }
      tokensPerExpert[expert] += count;
      run(batch, expert, order, count, outputs);
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

  private void run(DispatchBatch batch, int expert, int[] entries, int count, float[] outputs) {
    int hidden = batch.hidden();
    float[] input = new float[count * hidden];
    for (int i = 0; i < count; i++) {
      System.arraycopy(batch.activations(), entries[i] * hidden, input, i * hidden, hidden);
    }
    float[] output = new float[count * hidden];
    backend.compute(experts.resident(batch.layer(), expert), input, count, output);
    for (int i = 0; i < count; i++) {
      float weight = batch.weights()[entries[i]];
      int src = i * hidden;
      int dst = entries[i] * hidden;
      for (int d = 0; d < hidden; d++) {
        outputs[dst + d] = output[src + d] * weight;
      }
    }
  }

  private static int[] distinct(int[] values) {
    return java.util.Arrays.stream(values).distinct().sorted().toArray();
  }
}
