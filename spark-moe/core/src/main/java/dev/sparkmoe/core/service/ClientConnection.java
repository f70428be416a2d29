package dev.sparkmoe.core.service;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * An owner's connection to one expert server: a writer thread sends the requests (so that a sender
 * never blocks in a socket write to a server that stopped reading, and its request timeout still
 * fires), and a reader thread completes each request's future with its RESPONSE or ERROR frame.
 * When the connection breaks, every request still waiting on it fails with {@link Lost}, so its
 * sender can resend it elsewhere. Thread-safe.
 */
final class ClientConnection {
  /** The connection a request was waiting on broke. */
  static final class Lost extends IOException {
    private static final long serialVersionUID = 1L;

    Lost(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final Socket socket;
  private final InetSocketAddress address;
  private final DataOutputStream out;
  private final Map<RequestId, CompletableFuture<Frame>> pending = new ConcurrentHashMap<>();
  private final BlockingQueue<Frame> outbox = new LinkedBlockingQueue<>();
  private final List<Thread> threads = new CopyOnWriteArrayList<>();
  private volatile IOException failure;

  private ClientConnection(Socket socket, InetSocketAddress address) throws IOException {
    this.socket = socket;
    this.address = address;
    this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
  }

  /** Connects and starts the reader thread. */
  static ClientConnection open(InetSocketAddress address, Duration timeout, String name)
      throws IOException {
    Socket socket = new Socket();
    try {
      socket.setTcpNoDelay(true);
      socket.connect(address, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    } catch (IOException e) {
      socket.close();
      throw e;
    }
    ClientConnection connection = new ClientConnection(socket, address);
    connection.spawn(connection::readLoop, name + "-reader");
    connection.spawn(connection::writeLoop, name + "-writer");
    return connection;
  }

  private void spawn(Runnable body, String name) {
    Thread thread = new Thread(body, name);
    thread.setDaemon(true);
    threads.add(thread);
    thread.start();
  }

  InetSocketAddress address() {
    return address;
  }

  boolean alive() {
    return failure == null;
  }

  /**
   * Queues a request for the writer; the future completes with its answer, or with {@link Lost} if
   * the connection breaks first (at once if it already has). The caller bounds the requests
   * outstanding (the exchange's in-flight permits), which bounds the queue.
   */
  CompletableFuture<Frame> send(Frame request) {
    CompletableFuture<Frame> answer = new CompletableFuture<>();
    pending.put(request.id(), answer);
    outbox.add(request);
    if (failure != null) {
      lose(request.id(), answer);
    }
    return answer;
  }

  /** Stops waiting for {@code id}'s answer. */
  void forget(RequestId id) {
    pending.remove(id);
  }

  private void writeLoop() {
    try {
      while (failure == null) {
        outbox.take().write(out);
      }
    } catch (IOException e) {
      fail(e);
    } catch (InterruptedException e) {
      // fail() stops the writer.
    }
  }

  private void readLoop() {
    try (DataInputStream in =
        new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16))) {
      for (Frame frame = Frame.read(in); frame != null; frame = Frame.read(in)) {
        CompletableFuture<Frame> answer = pending.remove(frame.id());
        if (answer != null) {
          answer.complete(frame);
        }
      }
      fail(new EOFException("the server closed the connection"));
    } catch (IOException e) {
      fail(e);
    }
  }

  /** Marks the connection broken and fails every request still waiting on it. */
  void fail(IOException cause) {
    if (failure == null) {
      failure = cause;
    }
    try {
      socket.close();
    } catch (IOException e) {
      // Already broken.
    }
    pending.forEach(this::lose);
    threads.forEach(Thread::interrupt);
  }

  private void lose(RequestId id, CompletableFuture<Frame> answer) {
    pending.remove(id, answer);
    answer.completeExceptionally(
        new Lost("Lost the connection to " + address + ": " + failure.getMessage(), failure));
  }
}
