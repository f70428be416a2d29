package dev.sparkmoe.core.exchange;

import dev.sparkmoe.core.batch.ActivationDtype;
import dev.sparkmoe.core.batch.CombineBatch;
import dev.sparkmoe.core.batch.TokenBatchCodec;
import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.pipeline.OwnerState;
import dev.sparkmoe.core.pipeline.TokenOwner;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The token-owner endpoint of every exchange: a {@link TokenOwner} whose batches travel encoded.
 * Embeds a partition's rows in their canonical order ({@link RowOrder}), routes a layer into one
 * encoded dispatch batch per slot, and decodes and combines the batches that come back, counting
 * tokens, bytes and compute time.
 *
 * <p>Thread-safe if its codec's allocator is: the state lives in the {@link OwnerState}s.
 */
public final class OwnerSide {
  private final TokenOwner owner;
  private final TokenBatchCodec codec;
  private final ActivationDtype dtype;

  /**
   * @param dtype activations' dtype on the wire
   */
  public OwnerSide(TokenOwner owner, TokenBatchCodec codec, ActivationDtype dtype) {
    this.owner = owner;
    this.codec = codec;
    this.dtype = dtype;
  }

  /**
   * The state of a partition's rows, sorted by id then tokens, with their embeddings.
   *
   * @param ids the rows' ids, mutually comparable
   * @param tokens the rows' tokens, an empty array for a row without tokens
   */
  public OwnerState embed(int partition, List<Object> ids, List<int[]> tokens) {
    Integer[] order = RowOrder.canonical(ids, tokens);
    Object[] sortedIds = new Object[order.length];
    int[][] sortedTokens = new int[order.length][];
    for (int i = 0; i < order.length; i++) {
      sortedIds[i] = ids.get(order[i]);
      sortedTokens[i] = tokens.get(order[i]);
    }
    return owner.embed(partition, sortedIds, sortedTokens);
  }

  /**
   * Runs {@code layer}'s token side and encodes its dispatch batches.
   *
   * @param bytesIn combine bytes this partition received for the layer before, for its statistics
   * @param skippedRows rows the partition left out, for its statistics
   */
  public OwnerDispatch route(OwnerState state, int layer, long bytesIn, long skippedRows) {
    long start = System.nanoTime();
    List<TokenOwner.SlotDispatch> dispatch = owner.route(state, layer);
    long computeNanos = System.nanoTime() - start;
    int[] slots = new int[dispatch.size()];
    byte[][] batches = new byte[dispatch.size()][];
    long bytesOut = 0;
    for (int i = 0; i < slots.length; i++) {
      slots[i] = dispatch.get(i).slot();
      batches[i] = codec.encode(dispatch.get(i).batch(), dtype);
      bytesOut += batches[i].length;
    }
    OwnerStats stats =
        new OwnerStats(state.numTokens(), bytesIn, bytesOut, computeNanos, skippedRows);
    return new OwnerDispatch(layer, state.partition(), slots, batches, stats);
  }

  /**
   * Decodes the combine batches addressed to this partition, in any order, and adds them to its
   * residual; returns their size in bytes.
   */
  public long combine(OwnerState state, Iterator<byte[]> combined) {
    List<CombineBatch> batches = new ArrayList<>();
    long bytes = 0;
    while (combined.hasNext()) {
      byte[] batch = combined.next();
      bytes += batch.length;
      batches.add(codec.decodeCombine(batch, "for owner partition " + state.partition()));
    }
    owner.combine(state, batches);
    return bytes;
  }

  /** The final norm over the residual, after the last layer's combine. */
  public FinalHidden finish(OwnerState state) {
    return owner.finish(state);
  }

  /**
   * Runs every layer through an exchange that answers within the caller's task; returns the
   * statistics of each layer's routing, by layer.
   */
  public List<OwnerStats> forward(
      OwnerState state, int layers, Exchange<OwnerDispatch, List<byte[]>> exchange) {
    List<OwnerStats> stats = new ArrayList<>(layers);
    long bytesIn = 0;
    for (int layer = 0; layer < layers; layer++) {
      OwnerDispatch dispatch = route(state, layer, bytesIn, 0);
      stats.add(dispatch.stats());
      bytesIn = combine(state, exchange.exchange(layer, dispatch).iterator());
    }
    return stats;
  }
}
