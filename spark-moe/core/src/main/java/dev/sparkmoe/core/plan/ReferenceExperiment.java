package dev.sparkmoe.core.plan;

import dev.sparkmoe.core.placement.PlacementPolicy;

/**
 * The published result the product stands on: 4 layers × 16 experts, FP16, 1,024 tokens per batch;
 * 64 H100 with one expert each gave 450k tokens/s and 2.2 ms per output token, 16 H100 with 4
 * experts each under TP=8 and PP=2 gave 120k tokens/s and 8.3 ms. The cost model is never fitted to
 * these figures; {@link #compare} sets its prediction beside them.
 */
public final class ReferenceExperiment {
  public static final double ONE_PER_GPU_TOKENS_PER_SECOND = 450_000;
  public static final double ONE_PER_GPU_SECONDS_PER_TOKEN = 2.2e-3;
  public static final double COLOCATED_TOKENS_PER_SECOND = 120_000;
  public static final double COLOCATED_SECONDS_PER_TOKEN = 8.3e-3;
  public static final int TENSOR_PARALLEL = 8;
  public static final int PIPELINE_STAGES = 2;
  public static final int LAYERS = 4;

  /** The one-per-GPU time per output token spread over the layers: 550 µs per layer. */
  public static final double ONE_PER_GPU_SECONDS_PER_LAYER = ONE_PER_GPU_SECONDS_PER_TOKEN / LAYERS;

  private ReferenceExperiment() {}

  /**
   * The model's predictions for the two configurations.
   *
   * @param onePerGpu one expert per GPU, {@code layers × experts} GPUs
   * @param colocated TP=8, PP=2 on 16 GPUs
   */
  public record Comparison(Prediction onePerGpu, Prediction colocated) {
    /** Predicted throughput ratio (one-per-gpu over colocated), pipelined as each layout allows. */
    public double tokensPerSecondRatio() {
      return onePerGpu.tokensPerSecond() / colocated.tokensPerSecond();
    }

    /** Predicted ratio with one batch in flight (the published figures' tokens/s × ms ≈ 1,024). */
    public double oneBatchRatio() {
      return onePerGpu.oneBatchTokensPerSecond() / colocated.oneBatchTokensPerSecond();
    }

    /** Predicted time-per-token ratio (colocated over one-per-gpu). */
    public double secondsPerTokenRatio() {
      return colocated.secondsPerOutputToken() / onePerGpu.secondsPerOutputToken();
    }

    public static double publishedTokensPerSecondRatio() {
      return ONE_PER_GPU_TOKENS_PER_SECOND / COLOCATED_TOKENS_PER_SECOND;
    }

    public static double publishedSecondsPerTokenRatio() {
      return COLOCATED_SECONDS_PER_TOKEN / ONE_PER_GPU_SECONDS_PER_TOKEN;
    }
  }

  /** One expert per GPU over {@code layers × experts} GPUs. */
  public static Layout onePerGpu(ModelShape model) {
    return Layouts.of(PlacementPolicy.ONE_PER_GPU, model, model.layers() * model.experts());
  }

  /** Tensor parallel over 8 GPUs, 2 pipeline stages. */
  public static Layout colocated(ModelShape model) {
    return Layouts.tensorPipeline(model, TENSOR_PARALLEL, PIPELINE_STAGES);
  }

  /** Prices both configurations on {@code cluster} (which needs {@code layers × experts} GPUs). */
  public static Comparison compare(
      CostModel costModel, ClusterSpec cluster, ModelShape model, Workload workload) {
    return new Comparison(
        costModel.predict(cluster, model, workload, onePerGpu(model)),
        costModel.predict(cluster, model, workload, colocated(model)));
  }
}
