package dev.sparkmoe.core.forward;

import dev.sparkmoe.core.backend.ExpertBackend;
import dev.sparkmoe.core.backend.ResidentExpert;
import dev.sparkmoe.core.model.DenseWeights;
import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.model.MoeModel;
import java.util.List;

/**
 * The single-process forward pass, f32, Hugging Face semantics of every supported family: the
 * {@link DecoderLoop} with the routed experts resident in this process ({@link MoeBlock}). It is
 * the oracle every backend and placement is compared with, and the loop and building blocks it runs
 * are the ones the Spark pipeline runs.
 *
 * <p>Experts are made resident on the backend on first use and kept, once per instance. Thread-safe
 * when the backend is: concurrent {@link #run} calls share the resident experts.
 */
public final class ReferenceForward {
  private final ModelConfig config;
  private final MoeModel model;
  private final ExpertBackend backend;
  private final DecoderLoop loop;
  private final MoeBlock moe;
  private final OutputHead head;
  private final ResidentExpert[][] resident;

  public ReferenceForward(MoeModel model, DenseWeights dense, ExpertBackend backend) {
    this.config = model.config();
    this.model = model;
    this.backend = backend;
    this.loop = new DecoderLoop(config, dense);
    this.moe = new MoeBlock(config.hiddenSize(), backend, this::resident);
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
    return loop.run(rows, moe);
  }

  private synchronized ResidentExpert resident(int layer, int expert) {
    if (resident[layer][expert] == null) {
      resident[layer][expert] = backend.upload(model, layer, expert);
    }
    return resident[layer][expert];
  }
}
