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
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An owner's connection to one expert server: writes requests, and a reader thread completes each
 * request's future with its RESPONSE or ERROR frame. When the connection breaks, every request
 * still waiting on it fails with {@link Lost}, so its sender can resend it elsewhere. Thread-safe.
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
    Thread reader = new Thread(connection::readLoop, name);
    reader.setDaemon(true);
    reader.start();
    return connection;
  }

  InetSocketAddress address() {
    return address;
  }

  boolean alive() {
    return failure == null;
  }

  /**
   * Sends a request; the future completes with its answer, or with {@link Lost} if the connection
   * breaks first (at once if it already has).
   */
  CompletableFuture<Frame> send(Frame request) {
    CompletableFuture<Frame> answer = new CompletableFuture<>();
    pending.put(request.id(), answer);
    try {
      synchronized (out) {
        request.write(out);
      }
    } catch (IOException e) {
      fail(e);
    }
    if (failure != null) {
      lose(request.id(), answer);
    }
    return answer;
  }

  /** Stops waiting for {@code id}'s answer. */
  void forget(RequestId id) {
    pending.remove(id);
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
  }

  private void lose(RequestId id, CompletableFuture<Frame> answer) {
    pending.remove(id, answer);
    answer.completeExceptionally(
        new Lost("Lost the connection to " + address + ": " + failure.getMessage(), failure));
  }
}
