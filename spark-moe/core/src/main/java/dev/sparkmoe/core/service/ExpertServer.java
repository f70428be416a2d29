package dev.sparkmoe.core.service;

import dev.sparkmoe.core.batch.ActivationDtype;
import dev.sparkmoe.core.batch.TokenBatchCodec;
import dev.sparkmoe.core.pipeline.ExpertWorker;
import java.net.InetSocketAddress;

/**
 * One expert slot's server: listens on an ephemeral port, answers each dispatch batch with its
 * combine batch. (Skeleton: the implementation follows.)
 */
public final class ExpertServer implements AutoCloseable {
  private ExpertServer() {}

  /** Binds an ephemeral port on {@code options.host()} and starts serving. */
  public static ExpertServer start(
      ServerOptions options,
      int slot,
      ExpertWorker worker,
      TokenBatchCodec codec,
      ActivationDtype dtype,
      int numExperts) {
    throw new UnsupportedOperationException("not yet");
  }

  public InetSocketAddress address() {
    throw new UnsupportedOperationException("not yet");
  }

  public int slot() {
    throw new UnsupportedOperationException("not yet");
  }

  public ServerStats stats() {
    throw new UnsupportedOperationException("not yet");
  }

  /** Returns once the server stopped: {@link #close()} or a STOP frame from a client. */
  public void awaitStop() throws InterruptedException {
    throw new UnsupportedOperationException("not yet");
  }

  /** Asks the server at {@code address} to stop (sends a STOP frame). */
  public static void stop(InetSocketAddress address, java.time.Duration timeout) {
    throw new UnsupportedOperationException("not yet");
  }

  @Override
  public void close() {}
}
