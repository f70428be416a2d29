package dev.sparkmoe.core.service;

import dev.sparkmoe.core.exchange.Exchange;
import dev.sparkmoe.core.exchange.OwnerDispatch;
import java.util.List;

/**
 * The exchange through expert servers, for one owner task. (Skeleton: the implementation follows.)
 */
public final class ServiceExchange implements Exchange<OwnerDispatch, List<byte[]>>, AutoCloseable {
  /**
   * @param attempt the owner task's attempt, part of every request id
   */
  public ServiceExchange(ServerAddresses addresses, ServiceOptions options, int attempt) {}

  /** Micro-batch 0's exchange. */
  @Override
  public List<byte[]> exchange(int layer, OwnerDispatch dispatched) {
    return microBatch(0).exchange(layer, dispatched);
  }

  /** The exchange of one micro-batch: its requests carry {@code microBatch} in their id. */
  public Exchange<OwnerDispatch, List<byte[]>> microBatch(int microBatch) {
    throw new UnsupportedOperationException("not yet");
  }

  /** Reconnects so far, over all slots. */
  public int reconnects() {
    return 0;
  }

  @Override
  public void close() {}
}
