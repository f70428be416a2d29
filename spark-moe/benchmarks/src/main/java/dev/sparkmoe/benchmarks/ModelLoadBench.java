package dev.sparkmoe.benchmarks;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.backend.ResidentExpert;
import dev.sparkmoe.core.forward.DecoderStage;
import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.forward.ReferenceForward;
import dev.sparkmoe.core.generate.ModelGenerator;
import dev.sparkmoe.core.generate.ModelSpec;
import dev.sparkmoe.core.generate.TokenGenerator;
import dev.sparkmoe.core.model.DenseWeights;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.nn.ComputeDtype;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The core engine's model load and single-thread forward on {@code seed-4x16} (FP16 checkpoint), as
 * a plain main: open, dense weights, then every expert made resident on the CPU backend, timed
 * apart; then, optionally, forwards of a fixed batch. Measures, asserts nothing.
 *
 * <p>{@code java --add-modules jdk.incubator.vector -cp benchmarks.jar
 * dev.sparkmoe.benchmarks.ModelLoadBench DIR MODE REPEATS [FORWARD_TOKENS]}; MODE is {@code f32}
 * (all f32), {@code bf16-experts} (bf16 experts, f32 attention) or {@code bf16} (bf16 experts and
 * attention projections). The model is generated into DIR the first time. Run with {@code
 * OMP_NUM_THREADS=1} for one oneDNN thread.
 */
public final class ModelLoadBench {
  private ModelLoadBench() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    String mode = args[1];
    int repeats = Integer.parseInt(args[2]);
    int forwardTokens = args.length > 3 ? Integer.parseInt(args[3]) : 0;
    ModelSpec spec = ModelSpec.Preset.SEED_4X16.spec();
    if (!Files.isRegularFile(dir.resolve("config.json"))) {
      new ModelGenerator(spec).writeTo(dir);
    }
    ComputeDtype experts = mode.equals("f32") ? ComputeDtype.F32 : ComputeDtype.BF16;
    ComputeDtype attention = mode.equals("bf16") ? ComputeDtype.BF16 : ComputeDtype.F32;
    for (int r = 0; r < repeats; r++) {
      long start = System.nanoTime();
      try (MoeModel model = MoeModel.open(dir);
          CpuExpertBackend backend = new CpuExpertBackend(experts);
          DenseWeights dense = DecoderStage.loadDense(model, attention)) {
        long denseDone = System.nanoTime();
        int count = 0;
        for (int layer = 0; layer < spec.layers(); layer++) {
          for (int expert = 0; expert < spec.experts(); expert++) {
            ResidentExpert resident = backend.upload(model, layer, expert);
            count += resident.sizeBytes() > 0 ? 1 : 0;
          }
        }
        long end = System.nanoTime();
        System.out.printf(
            "load %s: open+dense %.2f s, %d experts %.2f s, total %.2f s%n",
            mode, (denseDone - start) / 1e9, count, (end - denseDone) / 1e9, (end - start) / 1e9);
        if (forwardTokens > 0 && r == repeats - 1) {
          forward(model, dense, backend, forwardTokens, mode, spec);
        }
      }
    }
  }

  private static void forward(
      MoeModel model,
      DenseWeights dense,
      CpuExpertBackend backend,
      int tokens,
      String mode,
      ModelSpec spec) {
    ReferenceForward forward = new ReferenceForward(model, dense, backend);
    TokenGenerator generator = new TokenGenerator(7, 128, 128, spec.vocab());
    List<int[]> rows = new ArrayList<>();
    for (int id = 0; id < tokens / 128; id++) {
      rows.add(generator.tokens(id));
    }
    forward.run(rows.subList(0, Math.min(2, rows.size()))); // warm-up, untimed
    for (int i = 0; i < 3; i++) {
      long start = System.nanoTime();
      FinalHidden states = forward.run(rows);
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf(
          "forward %s: %d tokens %.2f s, %.0f tokens/s (checksum %.4f)%n",
          mode, tokens, seconds, tokens / seconds, states.states()[0]);
    }
  }
}
