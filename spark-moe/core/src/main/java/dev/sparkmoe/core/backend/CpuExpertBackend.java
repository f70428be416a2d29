package dev.sparkmoe.core.backend;

import dev.sparkmoe.core.model.ExpertWeights;
import dev.sparkmoe.core.nn.Activations;
import dev.sparkmoe.core.nn.Gemm;

/**
 * Experts on the CPU as two GEMMs per batch through BLAS: the gate and up projections fused into
 * one product of width 2·ffn, SwiGLU, then the down projection. Weights stay the f32 arrays the
 * model decoded.
 *
 * <p>Thread-safe: {@link #compute} keeps no state between calls.
 */
public final class CpuExpertBackend implements ExpertBackend {
  public static final String NAME = "cpu";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "cpu (BLAS " + Gemm.implementation() + ")";
  }

  @Override
  public ResidentExpert upload(ExpertWeights weights) {
    return new CpuExpert(weights);
  }

  @Override
  public void compute(ResidentExpert expert, float[] input, int numTokens, float[] output) {
    ExpertWeights w = ((CpuExpert) expert).weights();
    int hidden = w.hidden();
    int ffn = w.ffn();
    float[] gateUp = new float[numTokens * 2 * ffn];
    Gemm.multiplyTransposed(input, numTokens, hidden, w.gateUp(), 2 * ffn, gateUp);
    float[] activated = new float[numTokens * ffn];
    Activations.swiglu(gateUp, numTokens, ffn, activated);
    Gemm.multiplyTransposed(activated, numTokens, ffn, w.down(), hidden, output);
  }

  @Override
  public void close() {}

  private record CpuExpert(ExpertWeights weights) implements ResidentExpert {
    @Override
    public int layer() {
      return weights.layer();
    }

    @Override
    public int expert() {
      return weights.expert();
    }

    @Override
    public long sizeBytes() {
      return 4L * (weights.gateUp().length + weights.down().length);
    }
  }

  /** Registers the CPU backend; always available. */
  public static final class Provider implements ExpertBackendProvider {
    @Override
    public String name() {
      return NAME;
    }

    @Override
    public int priority() {
      return 0;
    }

    @Override
    public java.util.Optional<String> unavailableReason() {
      return java.util.Optional.empty();
    }

    @Override
    public ExpertBackend create() {
      return new CpuExpertBackend();
    }
  }
}
