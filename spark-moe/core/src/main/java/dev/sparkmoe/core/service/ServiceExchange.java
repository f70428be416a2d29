package dev.sparkmoe.core.service;

import dev.sparkmoe.core.exchange.Exchange;
import dev.sparkmoe.core.exchange.OwnerDispatch;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The exchange through expert servers, for one owner task: each dispatch batch goes to its slot's
 * server as one request named by (partition, attempt, layer, micro-batch, slot), and the call
 * returns once every answer is back. One connection per slot, opened on first use. At most {@link
 * ServiceOptions#maxInFlight()} requests wait for answers at once; senders block beyond that. When
 * a connection breaks, each request that waited on it reconnects — to the slot's address, or once
 * that refuses, to the new address {@link ServerAddresses#refreshed} gives — and is sent again, at
 * most {@link ServiceOptions#maxReconnects()} times.
 *
 * <p>Thread-safe: the micro-batches of one owner share it, each through {@link #microBatch}.
 */
public final class ServiceExchange implements Exchange<OwnerDispatch, List<byte[]>>, AutoCloseable {
  private final ServerAddresses addresses;
  private final ServiceOptions options;
  private final int attempt;
  private final Semaphore inFlight;
  private final Map<Integer, SlotLink> slots = new ConcurrentHashMap<>();
  private final AtomicInteger reconnects = new AtomicInteger();
  private volatile boolean closed;

  /**
   * @param attempt the owner task's attempt, part of every request id
   */
  public ServiceExchange(ServerAddresses addresses, ServiceOptions options, int attempt) {
    this.addresses = addresses;
    this.options = options;
    this.attempt = attempt;
    this.inFlight = new Semaphore(options.maxInFlight(), /* fair= */ true);
  }

  /** Micro-batch 0's exchange. */
  @Override
  public List<byte[]> exchange(int layer, OwnerDispatch dispatched) {
    return exchange(layer, dispatched, 0);
  }

  /** The exchange of one micro-batch: its requests carry {@code microBatch} in their id. */
  public Exchange<OwnerDispatch, List<byte[]>> microBatch(int microBatch) {
    return (layer, dispatched) -> exchange(layer, dispatched, microBatch);
  }

  /** Connections replaced after they broke, over all slots. */
  public int reconnects() {
    return reconnects.get();
  }

  private List<byte[]> exchange(int layer, OwnerDispatch dispatched, int microBatch) {
    List<Call> calls = new ArrayList<>(dispatched.numBatches());
    for (int b = 0; b < dispatched.numBatches(); b++) {
      RequestId id =
          new RequestId(dispatched.partition(), attempt, layer, microBatch, dispatched.slots()[b]);
      Call call = new Call(new Frame(Frame.Kind.REQUEST, id, dispatched.batches()[b]));
      send(call);
      calls.add(call);
    }
    List<byte[]> answers = new ArrayList<>(calls.size());
    for (Call call : calls) {
      answers.add(await(call));
    }
    return answers;
  }

  /** One request and where it was last sent. */
  private static final class Call {
    final Frame request;
    ClientConnection connection;
    CompletableFuture<Frame> answer;
    long deadline;
    int reconnects;

    Call(Frame request) {
      this.request = request;
    }

    RequestId id() {
      return request.id();
    }
  }

  private void send(Call call) {
    checkOpen();
    acquire(call);
    try {
      call.connection = link(call.id().slot()).connection();
    } catch (RuntimeException e) {
      inFlight.release();
      throw e;
    }
    call.deadline = System.nanoTime() + options.requestTimeout().toNanos();
    call.answer = call.connection.send(call.request);
    call.answer.whenComplete((frame, error) -> inFlight.release());
  }

  private void acquire(Call call) {
    try {
      if (!inFlight.tryAcquire(options.requestTimeout().toNanos(), TimeUnit.NANOSECONDS)) {
        throw new IllegalStateException(
            String.format(
                "Cannot send %s: %d requests in flight got no answer within %s (raise %s or %s)",
                call.id(),
                options.maxInFlight(),
                options.requestTimeout(),
                ServiceOptions.MAX_IN_FLIGHT_KEY,
                ServiceOptions.REQUEST_TIMEOUT_KEY));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Cannot send " + call.id() + ": interrupted", e);
    }
  }

  private byte[] await(Call call) {
    while (true) {
      try {
        Frame frame = call.answer.get(call.deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        if (frame.kind() == Frame.Kind.ERROR) {
          throw new IllegalStateException(frame.message() + " (request: " + call.id() + ")");
        }
        return frame.payload();
      } catch (TimeoutException e) {
        call.connection.forget(call.id());
        call.answer.completeExceptionally(e);
        // A server that stopped answering may also have stopped reading: drop the connection so
        // that nothing of this owner stays blocked on it.
        call.connection.fail(new IOException("no answer within " + options.requestTimeout()));
        throw new IllegalStateException(
            String.format(
                "Cannot exchange layer %d with the expert server of slot %d at %s: no answer"
                    + " within %s to %s (raise %s if the server is only busy, else check its"
                    + " executor)",
                call.id().layer(),
                call.id().slot(),
                call.connection.address(),
                options.requestTimeout(),
                call.id(),
                ServiceOptions.REQUEST_TIMEOUT_KEY),
            e);
      } catch (ExecutionException e) {
        resend(call, e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Cannot wait for " + call.id() + ": interrupted", e);
      }
    }
  }

  private void resend(Call call, Throwable cause) {
    if (!(cause instanceof ClientConnection.Lost) || closed) {
      throw new IllegalStateException("Cannot exchange " + call.id() + ": " + cause, cause);
    }
    if (call.reconnects++ >= options.maxReconnects()) {
      throw new IllegalStateException(
          String.format(
              "Cannot exchange layer %d with the expert server of slot %d: lost the connection"
                  + " %d times, last to %s: %s (raise %s)",
              call.id().layer(),
              call.id().slot(),
              call.reconnects,
              call.connection.address(),
              cause.getMessage(),
              ServiceOptions.MAX_RECONNECTS_KEY),
          cause);
    }
    send(call);
  }

  private SlotLink link(int slot) {
    return slots.computeIfAbsent(slot, SlotLink::new);
  }

  /** The current connection to one slot's server, replaced when it breaks. */
  private final class SlotLink {
    private final int slot;
    private ClientConnection current;

    SlotLink(int slot) {
      this.slot = slot;
    }

    synchronized ClientConnection connection() {
      if (current != null && current.alive()) {
        return current;
      }
      if (current != null) {
        reconnects.incrementAndGet();
      }
      current = open();
      return current;
    }

    private ClientConnection open() {
      InetSocketAddress target = addresses.address(slot);
      try {
        return ClientConnection.open(target, options.connectTimeout(), name());
      } catch (IOException refused) {
        InetSocketAddress next = addresses.refreshed(slot, target, options.connectTimeout());
        try {
          return ClientConnection.open(next, options.connectTimeout(), name());
        } catch (IOException e) {
          throw new IllegalStateException(
              String.format(
                  "Cannot connect to the expert server of slot %d at %s (before: %s): %s (check"
                      + " that its barrier task runs; raise %s)",
                  slot, next, target, e.getMessage(), ServiceOptions.CONNECT_TIMEOUT_KEY),
              e);
        }
      }
    }

    private String name() {
      return "spark-moe-owner-" + attempt + "-slot-" + slot;
    }

    synchronized void close() {
      if (current != null) {
        current.fail(new IOException("the owner closed its exchange"));
      }
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("Cannot exchange through a closed service exchange");
    }
  }

  /** Closes every connection; requests still waiting fail. Idempotent. */
  @Override
  public void close() {
    closed = true;
    slots.values().forEach(SlotLink::close);
  }
}
