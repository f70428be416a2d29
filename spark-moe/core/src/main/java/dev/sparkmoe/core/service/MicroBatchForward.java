package dev.sparkmoe.core.service;

import dev.sparkmoe.core.Checks;
import dev.sparkmoe.core.exchange.Exchange;
import dev.sparkmoe.core.exchange.OwnerDispatch;
import dev.sparkmoe.core.exchange.OwnerSide;
import dev.sparkmoe.core.exchange.OwnerStats;
import dev.sparkmoe.core.pipeline.OwnerState;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One owner's forward as several micro-batches in flight: the rows split into groups of whole rows
 * of about equal tokens, each group running every layer on its own thread against the shared {@link
 * ServiceExchange}, so that attention and routing of one group overlap the experts of another. Rows
 * are computed independently (attention within a row, routing and experts per token), so each row's
 * residual is what one batch would give, bit for bit; the groups' residuals are written back into
 * the state in its row order.
 *
 * <p>Thread-safe if the owner side is: each call works on its own state.
 */
public final class MicroBatchForward {
  private final OwnerSide side;
  private final ServiceExchange exchange;
  private final int microBatches;

  /**
   * One layer of the owner, summed over its micro-batches.
   *
   * @param owner what the owner routed and sent; computeNanos is routing only
   * @param computeNanos time on attention, routing and combine
   * @param waitNanos time blocked waiting for the experts' answers
   */
  public record LayerTiming(int layer, OwnerStats owner, long computeNanos, long waitNanos) {
    LayerTiming plus(LayerTiming other) {
      return new LayerTiming(
          layer,
          owner.plus(other.owner),
          computeNanos + other.computeNanos,
          waitNanos + other.waitNanos);
    }
  }

  /**
   * @param microBatches groups to split an owner's rows into, {@code >= 1}; fewer when it has fewer
   *     rows
   */
  public MicroBatchForward(OwnerSide side, ServiceExchange exchange, int microBatches) {
    Checks.atLeast("micro-batches", microBatches, 1);
    this.side = side;
    this.exchange = exchange;
    this.microBatches = microBatches;
  }

  /** Runs every layer over {@code state}'s residual, in place; returns each layer's timing. */
  public List<LayerTiming> forward(OwnerState state, int layers) {
    int[] bounds = split(state.rowOffsets(), state.numRows(), microBatches);
    int groups = bounds.length - 1;
    if (groups == 1) {
      return run(state, layers, exchange.microBatch(0));
    }
    List<OwnerState> parts = new ArrayList<>(groups);
    for (int g = 0; g < groups; g++) {
      parts.add(slice(state, bounds[g], bounds[g + 1]));
    }
    List<List<LayerTiming>> timings = runAll(parts, layers);
    int hidden = state.residual().length / Math.max(1, state.numTokens());
    for (int g = 0; g < groups; g++) {
      float[] part = parts.get(g).residual();
      int at = state.rowOffsets()[bounds[g]] * hidden;
      System.arraycopy(part, 0, state.residual(), at, part.length);
    }
    return sum(timings);
  }

  private List<List<LayerTiming>> runAll(List<OwnerState> parts, int layers) {
    ExecutorService threads =
        Executors.newFixedThreadPool(
            parts.size(),
            runnable -> {
              Thread thread = new Thread(runnable, "spark-moe-micro-batch");
              thread.setDaemon(true);
              return thread;
            });
    try {
      List<Future<List<LayerTiming>>> running = new ArrayList<>(parts.size());
      for (int g = 0; g < parts.size(); g++) {
        OwnerState part = parts.get(g);
        Exchange<OwnerDispatch, List<byte[]>> mine = exchange.microBatch(g);
        running.add(threads.submit(() -> run(part, layers, mine)));
      }
      List<List<LayerTiming>> out = new ArrayList<>(parts.size());
      for (Future<List<LayerTiming>> future : running) {
        out.add(future.get());
      }
      return out;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException("Cannot run a micro-batch: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Cannot run the micro-batches: interrupted", e);
    } finally {
      threads.shutdownNow();
    }
  }

  private List<LayerTiming> run(
      OwnerState state, int layers, Exchange<OwnerDispatch, List<byte[]>> through) {
    List<LayerTiming> timings = new ArrayList<>(layers);
    long bytesIn = 0;
    for (int layer = 0; layer < layers; layer++) {
      long start = System.nanoTime();
      OwnerDispatch dispatch = side.route(state, layer, bytesIn, 0);
      long sent = System.nanoTime();
      List<byte[]> answers = through.exchange(layer, dispatch);
      long back = System.nanoTime();
      bytesIn = side.combine(state, answers.iterator());
      long end = System.nanoTime();
      timings.add(
          new LayerTiming(layer, dispatch.stats(), (sent - start) + (end - back), back - sent));
    }
    return timings;
  }

  private static List<LayerTiming> sum(List<List<LayerTiming>> timings) {
    List<LayerTiming> out = new ArrayList<>(timings.get(0));
    for (List<LayerTiming> more : timings.subList(1, timings.size())) {
      for (int layer = 0; layer < out.size(); layer++) {
        out.set(layer, out.get(layer).plus(more.get(layer)));
      }
    }
    return out;
  }

  /**
   * Row bounds of up to {@code groups} groups of whole rows with about equal tokens, none empty
   * (one group when there are no rows): group g holds rows [bounds[g], bounds[g + 1]).
   */
  static int[] split(int[] rowOffsets, int rows, int groups) {
    int count = Math.max(1, Math.min(groups, rows));
    int[] bounds = new int[count + 1];
    long tokens = rowOffsets[rows];
    int row = 0;
    for (int g = 1; g < count; g++) {
      long target = tokens * g / count;
      row++; // past the group before: none is empty
      while (row < rows - (count - g) && rowOffsets[row] < target) {
        row++;
      }
      bounds[g] = row;
    }
    bounds[count] = rows;
    return bounds;
  }

  private static OwnerState slice(OwnerState state, int from, int to) {
    int[] offsets = new int[to - from + 1];
    int base = state.rowOffsets()[from];
    for (int r = from; r <= to; r++) {
      offsets[r - from] = state.rowOffsets()[r] - base;
    }
    int hidden = state.residual().length / Math.max(1, state.numTokens());
    float[] residual =
        Arrays.copyOfRange(state.residual(), base * hidden, state.rowOffsets()[to] * hidden);
    return new OwnerState(
        state.partition(),
        Arrays.copyOfRange(state.ids(), from, to),
        Arrays.copyOfRange(state.tokens(), from, to),
        offsets,
        residual);
  }
}
