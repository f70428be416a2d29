package dev.sparkmoe.core.balance;

import dev.sparkmoe.core.backend.ExpertBackend;
import dev.sparkmoe.core.forward.DecoderStage;
import dev.sparkmoe.core.forward.MoeBlock;
import dev.sparkmoe.core.model.DenseWeights;
import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.routing.Routing;
import java.util.List;

/**
 * Measures the routing load of a model on a sample of rows in one process, before a job: the
 * token-owner side (attention, norms, router) of every layer, and the routed experts so that later
 * layers see the hidden states they will see in the job. Experts are loaded when a layer needs them
 * and dropped after it, so memory stays at one layer's experts (never the whole model).
 *
 * <p>Thread-safe if the backend is; the caller owns the model, the weights and the backend.
 */
public final class RoutingSampler {
  private final MoeModel model;
  private final DenseWeights dense;
  private final ExpertBackend backend;

  public RoutingSampler(MoeModel model, DenseWeights dense, ExpertBackend backend) {
    this.model = model;
    this.dense = dense;
    this.backend = backend;
  }

  /**
   * Tokens per (layer, expert) of {@code rows}; empty rows count as rows with no tokens.
   *
   * @param rows token ids, checked against the vocabulary by the caller
   */
  public RoutingStats sample(List<int[]> rows) {
    ModelConfig config = model.config();
    int hidden = config.hiddenSize();
    int[] offsets = new int[rows.size() + 1];
    for (int r = 0; r < rows.size(); r++) {
      offsets[r + 1] = offsets[r] + rows.get(r).length;
    }
    int total = offsets[rows.size()];
    RoutingStats stats =
        RoutingStats.empty(config.numLayers(), config.numExperts()).withInput(rows.size(), total);
    if (total == 0) {
      return stats;
    }
    float[] h = embed(rows, total, hidden);
    float[] x = new float[total * hidden];
    float[] delta = new float[total * hidden];
    DecoderStage stage = new DecoderStage(config, dense);
    MoeBlock block = new MoeBlock(hidden, config.numExperts(), backend);
    for (int layer = 0; layer < config.numLayers(); layer++) {
      Routing routing = stage.run(layer, h, offsets, x);
      if (routing == null) {
        continue;
      }
      stats = stats.withRouting(layer, routing);
      int current = layer;
      block.apply(routing, x, total, e -> backend.upload(model.loadExpert(current, e)), delta);
      for (int i = 0; i < h.length; i++) {
        h[i] += delta[i];
      }
    }
    return stats;
  }

  private float[] embed(List<int[]> rows, int total, int hidden) {
    float[] h = new float[total * hidden];
    int t = 0;
    for (int[] row : rows) {
      for (int token : row) {
        System.arraycopy(dense.embedding(), token * hidden, h, t++ * hidden, hidden);
      }
    }
    return h;
  }
}
