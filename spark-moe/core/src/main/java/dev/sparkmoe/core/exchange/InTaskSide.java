package dev.sparkmoe.core.exchange;

import dev.sparkmoe.core.backend.ExpertBackend;
import dev.sparkmoe.core.backend.ExpertSource;
import dev.sparkmoe.core.backend.ResidentExpert;
import dev.sparkmoe.core.forward.DecoderLoop;
import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.forward.MoeBlock;
import dev.sparkmoe.core.nn.KvCache;
import dev.sparkmoe.core.pipeline.OwnerState;
import dev.sparkmoe.core.routing.Routing;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * A token owner that computes every expert itself: the {@link DecoderLoop} over a partition's rows
 * with the in-process {@link MoeBlock} as its expert step, so nothing is exchanged. Counts, per
 * layer, what an exchange's two endpoints would: the owner's tokens and token-side time, and the
 * experts' tokens per expert, compute time and the time spent waiting for experts to become
 * resident. Arithmetic is the reference forward's: with f32 the output matches it bit for bit.
 *
 * <p>Thread-safe if the backend and the expert source are: the state lives in the {@link
 * OwnerState}.
 */
public final class InTaskSide {
  private final DecoderLoop loop;
  private final ExpertBackend backend;
  private final ExpertSource experts;
  private final IntConsumer prefetch;

  /** What the partition did for one layer, as an exchange's owner and expert sides count it. */
  public record LayerStats(int layer, OwnerStats owner, ExpertStats experts) {
    /** Counts and times of both added up. */
    public LayerStats plus(LayerStats other) {
      return new LayerStats(layer, owner.plus(other.owner), experts.plus(other.experts));
    }
  }

  /**
   * @param experts the resident experts; called once per (layer, expert) a layer routes to
   * @param prefetch asked, as layer l starts, to start making layer l + 1's experts resident; it
   *     must not block and may be asked for a layer past the last
   */
  public InTaskSide(
      DecoderLoop loop, ExpertBackend backend, ExpertSource experts, IntConsumer prefetch) {
    this.loop = loop;
    this.backend = backend;
    this.experts = experts;
    this.prefetch = prefetch;
  }

  /**
   * Runs every layer over {@code state}'s residual, in place.
   *
   * @param skippedRows rows the partition left out, for layer 0's statistics
   */
  public List<LayerStats> forward(OwnerState state, long skippedRows) {
    int layers = loop.config().numLayers();
    List<LayerStats> stats = new ArrayList<>(layers);
    float[] x = new float[state.residual().length];
    for (int layer = 0; layer < layers; layer++) {
      prefetch.accept(layer + 1);
      stats.add(layer(state, layer, x, layer == 0 ? skippedRows : 0));
    }
    return stats;
  }

  /** The final norm over the residual, after {@link #forward}. */
  public FinalHidden finish(OwnerState state) {
    return loop.finish(state.residual(), state.rowOffsets());
  }

  private LayerStats layer(OwnerState state, int layer, float[] x, long skippedRows) {
    return layer(
        layer,
        state.residual(),
        state.numTokens(),
        skippedRows,
        () -> loop.layer(layer, state.residual(), state.rowOffsets(), x),
        x);
  }

  /**
   * Runs every layer over the new tokens of rows whose earlier positions {@code caches} hold (a
   * prompt on an empty cache, or one new token), the generator's forward step.
   *
   * @param totals per layer, what this step did is added to what it holds (null entries start it)
   */
  public FinalHidden forwardCached(List<int[]> rows, KvCache[] caches, LayerStats[] totals) {
    int[] offsets = DecoderLoop.rowOffsets(rows);
    float[] residual = loop.embed(rows);
    float[] x = new float[residual.length];
    int numTokens = offsets[offsets.length - 1];
    for (int layer = 0; layer < totals.length; layer++) {
      prefetch.accept(layer + 1);
      int l = layer;
      LayerStats step =
          layer(
              layer, residual, numTokens, 0, () -> loop.layer(l, residual, offsets, caches, x), x);
      totals[layer] = totals[layer] == null ? step : totals[layer].plus(step);
    }
    return loop.finish(residual, offsets);
  }

  private LayerStats layer(
      int layer,
      float[] residual,
      int numTokens,
      long skippedRows,
      Supplier<Routing> tokenSide,
      float[] x) {
    long start = System.nanoTime();
    Routing routing = tokenSide.get();
    long ownerNanos = System.nanoTime() - start;
    OwnerStats owner = new OwnerStats(numTokens, 0, 0, ownerNanos, skippedRows);
    long[] perExpert = new long[loop.config().numExperts()];
    if (routing == null) {
      return new LayerStats(layer, owner, new ExpertStats(0, 0, 0, 0, 0, 0, perExpert));
    }
    for (int expert : routing.experts()) {
      perExpert[expert]++;
    }
    TimedSource timed = new TimedSource(experts);
    long expertStart = System.nanoTime();
    float[] moe = new MoeBlock(loop.config().hiddenSize(), backend, timed).apply(layer, routing, x);
    DecoderLoop.addExperts(residual, moe);
    long expertNanos = System.nanoTime() - expertStart - timed.nanos;
    return new LayerStats(
        layer,
        owner,
        new ExpertStats(routing.experts().length, 0, 0, expertNanos, 0, timed.nanos, perExpert));
  }

  /** The expert source, timing how long its callers wait for experts to become resident. */
  private static final class TimedSource implements ExpertSource {
    private final ExpertSource source;
    private long nanos;

    TimedSource(ExpertSource source) {
      this.source = source;
    }

    @Override
    public ResidentExpert resident(int layer, int expert) {
      long start = System.nanoTime();
      ResidentExpert resident = source.resident(layer, expert);
      nanos += System.nanoTime() - start;
      return resident;
    }
  }
}
