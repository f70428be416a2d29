package dev.sparkmoe.core.pipeline;

import dev.sparkmoe.core.batch.CombineBatch;
import dev.sparkmoe.core.batch.DispatchBatch;
import dev.sparkmoe.core.forward.DecoderLoop;
import dev.sparkmoe.core.forward.DecoderStage;
import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.model.DenseWeights;
import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.placement.PlacementPlan;
import dev.sparkmoe.core.routing.Routing;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The token-owner side of the expert-parallel pipeline, engine-agnostic: the {@link DecoderLoop}
 * driven step by step, one call per Spark stage — embedding, per layer the {@link DecoderStage}
 * (attention, RMSNorm, the router from the model's config, and the dense work of every token: the
 * shared expert of a MoE layer, the whole MLP of a dense layer) and packing of one {@link
 * DispatchBatch} per target slot, the combine of weighted expert outputs back into the residual,
 * the final norm. The loop and its arithmetic are the reference forward's, so with f32 activations
 * the pipeline reproduces it bit for bit.
 *
 * <p>Thread-safe: holds only shared read-only weights.
 */
public final class TokenOwner {
  private final ModelConfig config;
  private final PlacementPlan placement;
  private final DecoderLoop loop;

  public TokenOwner(ModelConfig config, DenseWeights dense, PlacementPlan placement) {
    this.config = config;
    this.placement = placement;
    this.loop = new DecoderLoop(config, dense);
  }

  /** Builds the state of a partition's rows with their embeddings as the residual. */
  public OwnerState embed(int partition, Object[] ids, int[][] tokens) {
    List<int[]> rows = Arrays.asList(tokens);
    return new OwnerState(partition, ids, tokens, DecoderLoop.rowOffsets(rows), loop.embed(rows));
  }

  /**
   * Runs {@code layer}'s token side on the residual (in place) and routes every token; returns one
   * batch per slot that receives tokens, in ascending slot order, each paired with its slot. A
   * dense layer (no experts) has computed its MLP here and returns no batch.
   */
  public List<SlotDispatch> route(OwnerState state, int layer) {
    float[] x = new float[state.numTokens() * config.hiddenSize()];
    Routing routing = loop.layer(layer, state.residual(), state.rowOffsets(), x);
    return routing == null ? List.of() : pack(state, layer, routing, x);
  }

  /** A dispatch batch and the slot it goes to. */
  public record SlotDispatch(int slot, DispatchBatch batch) {}

  private List<SlotDispatch> pack(OwnerState state, int layer, Routing routing, float[] x) {
    int[] slots = placement.layerSlots(layer);
    int[] replicas = DispatchPacker.replicas(state, layer, placement, routing);
    List<SlotDispatch> batches = new ArrayList<>(slots.length);
    for (int slot : slots) {
      boolean[] toSlot = DispatchPacker.toSlot(layer, slot, placement, routing, replicas);
      DispatchBatch batch =
          DispatchPacker.pack(state, layer, toSlot, routing, x, config.hiddenSize());
      if (batch.numTokens() > 0) {
        batches.add(new SlotDispatch(slot, batch));
      }
    }
    return batches;
  }

  /**
   * Adds the weighted expert outputs of one layer to the residual: for each token, the sum over its
   * experts in ascending expert id, then added to the residual, exactly as the reference forward
   * does.
   */
  public void combine(OwnerState state, List<CombineBatch> batches) {
    DecoderLoop.addExperts(state.residual(), Combiner.sum(state, batches, config.hiddenSize()));
  }

  /** The final RMSNorm over the residual: what the output head reads. */
  public FinalHidden finish(OwnerState state) {
    return loop.finish(state.residual(), state.rowOffsets());
  }
}
