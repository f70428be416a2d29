package dev.sparkmoe.core.balance;

import dev.sparkmoe.core.backend.ExpertBackend;
import dev.sparkmoe.core.forward.DecoderLoop;
import dev.sparkmoe.core.forward.MoeBlock;
import dev.sparkmoe.core.model.DenseWeights;
import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.model.MoeModel;
import java.util.List;

/**
 * Measures the routing load of a model on a sample of rows in one process, before a job: the {@link
 * DecoderLoop} over the sample, recording every MoE layer's routing on its way to the routed
 * experts, so that later layers see the hidden states they will see in the job. Experts are loaded
 * when a layer needs them and not kept, so memory stays at one layer's experts (never the whole
 * model).
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
    int total = DecoderLoop.rowOffsets(rows)[rows.size()];
    RoutingStats[] stats = {
      RoutingStats.empty(config.numLayers(), config.numExperts()).withInput(rows.size(), total)
    };
    if (total == 0) {
      return stats[0];
    }
    MoeBlock experts =
        new MoeBlock(
            config.hiddenSize(), backend, (layer, e) -> backend.upload(model.loadExpert(layer, e)));
    new DecoderLoop(config, dense)
        .run(
            rows,
            (layer, routing, x) -> {
              stats[0] = stats[0].withRouting(layer, routing);
              return experts.apply(layer, routing, x);
            });
    return stats[0];
  }
}
