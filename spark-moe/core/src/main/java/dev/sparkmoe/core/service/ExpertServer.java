package dev.sparkmoe.core.service;

import dev.sparkmoe.core.batch.ActivationDtype;
import dev.sparkmoe.core.batch.CombineBatch;
import dev.sparkmoe.core.batch.TokenBatchCodec;
import dev.sparkmoe.core.pipeline.ExpertWorker;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One expert slot's server: answers each dispatch batch it receives with the slot's combine batch,
 * for any owner and layer, until it is closed or a client sends STOP. Connection readers decode
 * requests into a bounded queue ({@link ServerOptions#queueCapacity()}; readers block while it is
 * full); one compute thread takes the head of the queue and gathers the requests queued behind it
 * for the same layer — up to {@link ServerOptions#gatherTokens()} entries, waiting at most {@link
 * ServerOptions#gatherMicros()} for more while other owners are connected — into one expert
 * computation ({@link GatheredCompute}, same bits per token as alone), then encodes and sends each
 * request's answer. Requests are stateless: a resent one is simply computed again. Service mode is
 * dropless: no capacity drops.
 *
 * <p>Thread-safe. The caller owns the worker and the codec's allocator and keeps them open until
 * {@link #close()} returned.
 */
public final class ExpertServer implements AutoCloseable {
  private static final long POLL_MILLIS = 100;

  private final int slot;
  private final ServerOptions options;
  private final ExpertWorker worker;
  private final TokenBatchCodec codec;
  private final ActivationDtype dtype;
  private final ServerSocket listener;
  private final BlockingQueue<ServerConnection.Queued> queue;
  private final ServerCounters counters;
  private final long[] tokensPerExpert;
  private final List<ServerConnection> connections = new CopyOnWriteArrayList<>();
  private final List<Thread> threads = new CopyOnWriteArrayList<>();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean closing;
  private ServerConnection.Queued carried;

  private ExpertServer(
      ServerOptions options,
      int slot,
      ExpertWorker worker,
      TokenBatchCodec codec,
      ActivationDtype dtype,
      int numExperts,
      ServerSocket listener) {
    this.options = options;
    this.slot = slot;
    this.worker = worker;
    this.codec = codec;
    this.dtype = dtype;
    this.listener = listener;
    this.queue = new ArrayBlockingQueue<>(options.queueCapacity());
    this.counters = new ServerCounters(slot);
    this.tokensPerExpert = new long[numExperts];
  }

  /**
   * Binds an ephemeral port on {@code options.host()} and starts serving; returns once listening.
   *
   * @throws UncheckedIOException naming the host if it cannot bind
   */
  public static ExpertServer start(
      ServerOptions options,
      int slot,
      ExpertWorker worker,
      TokenBatchCodec codec,
      ActivationDtype dtype,
      int numExperts) {
    ServerSocket listener;
    try {
      listener = new ServerSocket();
      listener.bind(new InetSocketAddress(options.host(), 0));
    } catch (IOException e) {
      throw new UncheckedIOException(
          String.format(
              "Cannot start the expert server of slot %d on host %s: %s",
              slot, options.host(), e.getMessage()),
          e);
    }
    ExpertServer server =
        new ExpertServer(options, slot, worker, codec, dtype, numExperts, listener);
    server.spawn("accept", server::acceptLoop);
    server.spawn("compute", server::computeLoop);
    return server;
  }

  /** Where the server listens: the bound host and its ephemeral port. */
  public InetSocketAddress address() {
    return new InetSocketAddress(listener.getInetAddress(), listener.getLocalPort());
  }

  public int slot() {
    return slot;
  }

  /** What the server did so far, per layer. */
  public ServerStats stats() {
    return counters.snapshot();
  }

  /** Decoded requests waiting for the compute thread now. */
  public int queueDepth() {
    return queue.size();
  }

  /** Returns once the server stopped: {@link #close()} or a STOP frame from a client. */
  public void awaitStop() throws InterruptedException {
    stopped.await();
  }

  /**
   * Asks the server at {@code address} to stop: sends a STOP frame.
   *
   * @throws UncheckedIOException naming the address if it cannot connect within {@code timeout}
   */
  public static void stop(InetSocketAddress address, Duration timeout) {
    try (Socket socket = new Socket()) {
      socket.connect(address, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
      DataOutputStream out =
          new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
      Frame.stop().write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot stop the expert server at " + address + ": " + e.getMessage(), e);
    }
  }

  private void spawn(String role, Runnable body) {
    Thread thread = new Thread(body, "spark-moe-server-" + slot + "-" + role);
    thread.setDaemon(true);
    threads.add(thread);
    thread.start();
  }

  private void acceptLoop() {
    ServerConnection.Sink sink =
        new ServerConnection.Sink() {
          @Override
          public boolean enqueue(ServerConnection.Queued request) throws InterruptedException {
            while (!closing) {
              if (queue.offer(request, POLL_MILLIS, TimeUnit.MILLISECONDS)) {
                return true;
              }
            }
            return false;
          }

          @Override
          public void stopRequested() {
            shutdown();
          }

          @Override
          public void closed(ServerConnection connection) {
            connections.remove(connection);
          }
        };
    while (!closing) {
      try {
        Socket socket = listener.accept();
        ServerConnection connection = new ServerConnection(socket, slot, codec, sink);
        connections.add(connection);
        spawn("connection-" + socket.getPort(), connection);
      } catch (IOException e) {
        if (!closing) {
          shutdown(); // the listener broke: owners see their connections fail and reconnect
        }
      }
    }
  }

  private void computeLoop() {
    long waitStart = System.nanoTime();
    try {
      while (!closing) {
        ServerConnection.Queued first = next(POLL_MILLIS * 1_000_000);
        if (first == null) {
          continue;
        }
        int depth = queue.size() + 1;
        List<ServerConnection.Queued> group = gather(first);
        long start = System.nanoTime();
        long tokens = computeAndAnswer(group);
        long end = System.nanoTime();
        counters.computed(
            first.id().layer(), group.size(), tokens, end - start, start - waitStart, depth);
        waitStart = end;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private ServerConnection.Queued next(long timeoutNanos) throws InterruptedException {
    if (carried != null) {
      ServerConnection.Queued head = carried;
      carried = null;
      return head;
    }
    return queue.poll(timeoutNanos, TimeUnit.NANOSECONDS);
  }

  /** The head and the requests of its layer behind it, within the gather window. */
  private List<ServerConnection.Queued> gather(ServerConnection.Queued first)
      throws InterruptedException {
    List<ServerConnection.Queued> group = new ArrayList<>();
    group.add(first);
    long tokens = first.batch().numTokens();
    long deadline = System.nanoTime() + options.gatherMicros() * 1_000;
    while (tokens < options.gatherTokens()) {
      ServerConnection.Queued more = queue.poll();
      if (more == null && connections.size() > 1) {
        // Only other owners can add to this layer's gather: one owner's micro-batches arrive one
        // after another on purpose, and waiting for the next would undo their overlap.
        long left = deadline - System.nanoTime();
        more = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : null;
      }
      if (more == null) {
        break;
      }
      if (more.id().layer() != first.id().layer()
          || tokens + more.batch().numTokens() > options.gatherTokens()) {
        carried = more;
        break;
      }
      group.add(more);
      tokens += more.batch().numTokens();
    }
    return group;
  }

  private long computeAndAnswer(List<ServerConnection.Queued> group) {
    List<byte[]> encoded = new ArrayList<>(group.size());
    try {
      List<CombineBatch> answers =
          GatheredCompute.compute(
              worker, group.stream().map(ServerConnection.Queued::batch).toList(), tokensPerExpert);
      for (CombineBatch answer : answers) {
        encoded.add(codec.encode(answer, dtype));
      }
    } catch (RuntimeException e) {
      // The owners fail with the server's reason; the server keeps serving the others.
      String message =
          String.format(
              "Cannot compute layer %d on the expert server of slot %d at %s: %s",
              group.get(0).id().layer(), slot, address(), e.getMessage());
      group.forEach(q -> q.from().send(Frame.error(q.id(), message)));
      return 0;
    }
    long tokens = 0;
    for (int i = 0; i < group.size(); i++) {
      ServerConnection.Queued request = group.get(i);
      tokens += request.batch().numTokens();
      request.from().send(new Frame(Frame.Kind.RESPONSE, request.id(), encoded.get(i)));
    }
    return tokens;
  }

  /** Stops accepting and answering, closes every connection; does not wait for the threads. */
  private void shutdown() {
    closing = true;
    try {
      listener.close();
    } catch (IOException e) {
      // Closing anyway.
    }
    connections.forEach(ServerConnection::close);
    stopped.countDown();
  }

  /** Stops the server and waits for its threads; idempotent. */
  @Override
  public void close() {
    shutdown();
    for (Thread thread : threads) {
      if (thread != Thread.currentThread()) {
        thread.interrupt();
        try {
          thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }
}
