package dev.sparkmoe.core.exchange;

import dev.sparkmoe.core.balance.Capacity;
import dev.sparkmoe.core.batch.ActivationDtype;
import dev.sparkmoe.core.batch.CombineBatch;
import dev.sparkmoe.core.batch.DispatchBatch;
import dev.sparkmoe.core.batch.TokenBatchCodec;
import dev.sparkmoe.core.pipeline.ExpertWorker;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The expert-slot endpoint of every exchange, for one slot and layer: streams the encoded dispatch
 * batches that arrive (decoding batch i+1 on a second thread while batch i computes), drops the
 * entries at or below their expert's capacity threshold ({@link Capacity#keep}: they get no output
 * from that expert), computes the slot's experts and yields one encoded combine batch per incoming
 * batch, addressed to the owner partition it returns to. Output is produced lazily, as the engine
 * consumes it, so a slot's batches are never all in memory at once. Once the input is exhausted it
 * hands its {@link ExpertStats} to the listener, once.
 *
 * <p>Not thread-safe: one per slot and layer, consumed by one thread.
 */
public final class ExpertSide implements Iterator<ReturnBatch> {
  private final String origin;
  private final ExpertWorker worker;
  private final TokenBatchCodec codec;
  private final ActivationDtype dtype;
  private final float[] thresholds;
  private final Consumer<ExpertStats> listener;
  private final Prefetcher<byte[], DispatchBatch> input;
  private final long[] tokensPerExpert;
  private final AtomicLong bytesIn = new AtomicLong();
  private long tokens;
  private long bytesOut;
  private long computeNanos;
  private boolean reported;

  /**
   * @param layer the layer the batches belong to, for error messages
   * @param slot the expert slot, for error messages
   * @param batches encoded dispatch batches, in any order
   * @param numExperts experts per layer, for {@link ExpertStats#tokensPerExpert}
   * @param thresholds each expert's capacity threshold, or null for dropless
   * @param listener gets the statistics once the input is exhausted
   */
  public ExpertSide(
      int layer,
      int slot,
      ExpertWorker worker,
      TokenBatchCodec codec,
      ActivationDtype dtype,
      Iterator<byte[]> batches,
      int numExperts,
      float[] thresholds,
      Consumer<ExpertStats> listener) {
    this.origin = "of layer " + layer + " for slot " + slot;
    this.worker = worker;
    this.codec = codec;
    this.dtype = dtype;
    this.thresholds = thresholds;
    this.listener = listener;
    this.tokensPerExpert = new long[numExperts];
    this.input = new Prefetcher<>(batches, this::decode);
  }

  private DispatchBatch decode(byte[] bytes) {
    bytesIn.addAndGet(bytes.length);
    return codec.decodeDispatch(bytes, origin);
  }

  @Override
  public boolean hasNext() {
    boolean more = input.hasNext();
    if (!more && !reported) {
      reported = true;
      listener.accept(stats());
    }
    return more;
  }

  @Override
  public ReturnBatch next() {
    if (!input.hasNext()) {
      throw new NoSuchElementException();
    }
    DispatchBatch received = input.next();
    DispatchBatch batch = thresholds == null ? received : Capacity.keep(received, thresholds);
    long start = System.nanoTime();
    CombineBatch out = worker.compute(batch, tokensPerExpert);
    computeNanos += System.nanoTime() - start;
    tokens += batch.numTokens();
    byte[] bytes = codec.encode(out, dtype);
    bytesOut += bytes.length;
    return new ReturnBatch(batch.sourcePartition(), bytes);
  }

  private ExpertStats stats() {
    return new ExpertStats(
        tokens,
        bytesIn.get(),
        bytesOut,
        computeNanos,
        input.waitNanos(),
        /* loadNanos= */ 0,
        tokensPerExpert.clone());
  }
}
