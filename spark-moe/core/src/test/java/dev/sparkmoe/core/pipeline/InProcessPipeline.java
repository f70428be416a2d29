package dev.sparkmoe.core.pipeline;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.backend.ResidentExpert;
import dev.sparkmoe.core.batch.ActivationDtype;
import dev.sparkmoe.core.batch.CombineBatch;
import dev.sparkmoe.core.batch.TokenBatchCodec;
import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.model.DenseWeights;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.placement.PlacementPlan;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The pipeline's owner and expert halves wired together in one process, every batch through Arrow
 * IPC: the expert-parallel pipeline without Spark, for tests.
 */
public final class InProcessPipeline {
  private InProcessPipeline() {}

  /**
   * Runs the rows split into contiguous owner partitions; slots see the owners' batches in reverse
   * order, so arrival order must not matter. Returns the final hidden states of all rows, in row
   * order.
   */
  public static FinalHidden run(
      MoeModel model,
      DenseWeights dense,
      List<int[]> rows,
      PlacementPlan placement,
      int partitions,
      ActivationDtype dtype,
      BufferAllocator allocator) {
    TokenOwner owner = new TokenOwner(model.config(), dense, placement);
    TokenBatchCodec codec = new TokenBatchCodec(allocator);
    ExpertWorker worker = worker(model);
    List<OwnerState> states = new ArrayList<>();
    int per = (rows.size() + partitions - 1) / partitions;
    for (int p = 0; p < partitions; p++) {
      List<int[]> part =
          rows.subList(Math.min(rows.size(), p * per), Math.min(rows.size(), (p + 1) * per));
      states.add(owner.embed(p, new Object[part.size()], part.toArray(new int[0][])));
    }
    long[] tokensPerExpert = new long[model.config().numExperts()];
    for (int layer = 0; layer < model.config().numLayers(); layer++) {
      List<byte[]> combined = new ArrayList<>();
      for (int p = partitions - 1; p >= 0; p--) {
        for (TokenOwner.SlotDispatch dispatch : owner.route(states.get(p), layer)) {
          byte[] wire = codec.encode(dispatch.batch(), dtype);
          CombineBatch out = worker.compute(codec.decodeDispatch(wire), tokensPerExpert);
          combined.add(codec.encode(out, dtype));
        }
      }
      Map<Integer, List<CombineBatch>> returned = new HashMap<>();
      for (byte[] wire : combined) {
        CombineBatch batch = codec.decodeCombine(wire);
        returned.computeIfAbsent(batch.sourcePartition(), k -> new ArrayList<>()).add(batch);
      }
      for (OwnerState state : states) {
        owner.combine(state, returned.getOrDefault(state.partition(), List.of()));
      }
    }
    return merge(owner, states);
  }

  private static ExpertWorker worker(MoeModel model) {
    CpuExpertBackend backend = new CpuExpertBackend();
    Map<Long, ResidentExpert> resident = new HashMap<>();
    return new ExpertWorker(
        backend,
        (layer, expert) ->
            resident.computeIfAbsent(
                ((long) layer << 32) | expert,
                k -> backend.upload(model.loadExpert(layer, expert))));
  }

  private static FinalHidden merge(TokenOwner owner, List<OwnerState> states) {
    float[] all = new float[0];
    int[] offsets = {0};
    int hidden = 0;
    for (OwnerState state : states) {
      FinalHidden part = owner.finish(state);
      hidden = part.hidden();
      int old = all.length;
      all = Arrays.copyOf(all, old + part.states().length);
      System.arraycopy(part.states(), 0, all, old, part.states().length);
      int base = offsets[offsets.length - 1];
      int[] next = Arrays.copyOf(offsets, offsets.length + part.numRows());
      for (int r = 0; r < part.numRows(); r++) {
        next[offsets.length + r] = base + part.rowOffsets()[r + 1];
      }
      offsets = next;
    }
    return new FinalHidden(all, offsets, hidden);
  }
}
