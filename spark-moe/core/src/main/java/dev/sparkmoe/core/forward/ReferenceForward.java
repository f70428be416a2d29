package dev.sparkmoe.core.forward;

import dev.sparkmoe.core.backend.ExpertBackend;
import dev.sparkmoe.core.backend.ResidentExpert;
import dev.sparkmoe.core.model.DenseWeights;
import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.nn.RmsNorm;
import dev.sparkmoe.core.routing.Routing;
import java.util.List;

/**
 * The single-process forward pass, f32, Hugging Face semantics of every supported family:
 * embedding; per layer the token side of {@link DecoderStage} (attention, norms, router, shared
 * expert or dense MLP) and, for MoE layers, the routed experts' weighted sum added to the residual;
 * final RMSNorm. It is the oracle every backend and placement is compared with, and the building
 * blocks it uses are the ones the Spark pipeline uses.
 *
 * <p>Experts are made resident on the backend on first use and kept, once per instance. Thread-safe
 * when the backend is: concurrent {@link #run} calls share the resident experts.
 */
public final class ReferenceForward {
  private final ModelConfig config;
  private final MoeModel model;
  private final DenseWeights dense;
  private final ExpertBackend backend;
  private final DecoderStage stage;
  private final MoeBlock moe;
  private final OutputHead head;
  private final ResidentExpert[][] resident;

  public ReferenceForward(MoeModel model, DenseWeights dense, ExpertBackend backend) {
    this.config = model.config();
    this.model = model;
    this.dense = dense;
    this.backend = backend;
    this.stage = new DecoderStage(config, dense);
    this.moe = new MoeBlock(config.hiddenSize(), config.numExperts(), backend);
    this.head = new OutputHead(config, dense.lmHead());
    this.resident = new ResidentExpert[config.numLayers()][config.numExperts()];
  }

  public ModelConfig config() {
    return config;
  }

  public OutputHead head() {
    return head;
  }

  /**
   * Runs the decoder over non-empty rows; the caller has checked them with {@link TokenRows#check}.
   *
   * @return final-normalized hidden states of every token
   */
  public FinalHidden run(List<int[]> rows) {
    int hidden = config.hiddenSize();
    int[] offsets = new int[rows.size() + 1];
    for (int r = 0; r < rows.size(); r++) {
      offsets[r + 1] = offsets[r] + rows.get(r).length;
    }
    int total = offsets[rows.size()];
    float[] h = embed(rows, total);
    float[] x = new float[total * hidden];
    float[] delta = new float[total * hidden];
    for (int layer = 0; layer < config.numLayers(); layer++) {
      Routing routing = stage.run(layer, h, offsets, x);
      if (routing != null) {
        int current = layer;
        moe.apply(routing, x, total, e -> resident(current, e), delta);
        DecoderStage.addInPlace(h, delta);
      }
    }
    RmsNorm.apply(h, total, hidden, dense.finalNorm(), config.rmsNormEps(), x);
    return new FinalHidden(x, offsets, hidden);
  }

  private float[] embed(List<int[]> rows, int total) {
    int hidden = config.hiddenSize();
    float[] h = new float[total * hidden];
    int t = 0;
    for (int[] row : rows) {
      for (int token : row) {
        System.arraycopy(dense.embedding(), token * hidden, h, t * hidden, hidden);
        t++;
      }
    }
    return h;
  }

  private synchronized ResidentExpert resident(int layer, int expert) {
    if (resident[layer][expert] == null) {
      resident[layer][expert] = backend.upload(model, layer, expert);
    }
    return resident[layer][expert];
  }
}
