package dev.sparkmoe.core.plan;

import java.util.List;

/**
 * The cost model's answer for one layout.
 *
 * @param layout the placement's name
 * @param description how it maps experts
 * @param devices devices (slots) it uses
 * @param expertsPerDevice experts' worth of weights on the fullest device
 * @param fits whether every device's weights fit its memory
 * @param layers per-layer costs for one batch
 * @param runOverheadSeconds fixed cost outside the layers (Spark's input and embedding stages)
 * @param latencySeconds one batch through the whole stack: the time per output token when the batch
 *     is one decoding step
 * @param tokensPerSecond throughput with as many batches in flight as the pipeline stages allow
 * @param oneBatchTokensPerSecond throughput with one batch in flight
 * @param pipelineStages stages with devices of their own (1 when layers share devices)
 * @param bottleneck the largest cost: {@code owners}, {@code network}, {@code expert compute},
 *     {@code kernel launches} or {@code spark overhead}
 * @param calibrated whether measured kernel times replaced datasheet rates
 */
public record Prediction(
    String layout,
    String description,
    int devices,
    double expertsPerDevice,
    boolean fits,
    List<LayerCost> layers,
    double runOverheadSeconds,
    double latencySeconds,
    double tokensPerSecond,
    double oneBatchTokensPerSecond,
    int pipelineStages,
    String bottleneck,
    boolean calibrated) {
  public Prediction {
    layers = List.copyOf(layers);
  }

  /** Time per output token: one decoding step of the batch through all layers. */
  public double secondsPerOutputToken() {
    return latencySeconds;
  }
}
