package dev.sparkmoe.core.backend;

import dev.sparkmoe.core.model.Bf16ExpertWeights;
import dev.sparkmoe.core.model.ExpertWeights;
import dev.sparkmoe.core.nn.Bf16Matrix;

/**
 * An expert the CPU backend holds in bf16: the fused gate|up and the down projections in native
 * memory, two bytes per weight. Owned by the backend that made it, which closes it.
 */
record Bf16CpuExpert(int layer, int expert, Bf16Matrix gateUp, Bf16Matrix down)
    implements ResidentExpert, AutoCloseable {

  /** From f32 weights, rounded to bf16 once. */
  static Bf16CpuExpert of(ExpertWeights w) {
    Bf16Matrix gateUp = Bf16Matrix.ofFloats(w.gateUp(), 0, 2 * w.ffn(), w.hidden());
    return new Bf16CpuExpert(
        w.layer(), w.expert(), gateUp, Bf16Matrix.ofFloats(w.down(), 0, w.hidden(), w.ffn()));
  }

  /** From bf16 bits as they are. */
  static Bf16CpuExpert of(Bf16ExpertWeights w) {
    Bf16Matrix gateUp = Bf16Matrix.ofBits(w.gateUp(), 0, 2 * w.ffn(), w.hidden());
    return new Bf16CpuExpert(
        w.layer(), w.expert(), gateUp, Bf16Matrix.ofBits(w.down(), 0, w.hidden(), w.ffn()));
  }

  @Override
  public long sizeBytes() {
    return gateUp.sizeBytes() + down.sizeBytes();
  }

  @Override
  public void close() {
    gateUp.close();
    down.close();
  }
}
