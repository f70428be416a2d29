package dev.sparkmoe.core.service;

import dev.sparkmoe.core.batch.DispatchBatch;
import dev.sparkmoe.core.batch.TokenBatchCodec;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;

/**
 * One owner's connection to an {@link ExpertServer}: its reader thread reads requests and decodes
 * them (so the next request decodes while the server computes the current one) and hands them to
 * the server's bounded queue, blocking while it is full: the back-pressure reaches the owner
 * through the socket. Answers are written by the server's compute thread through {@link #send}.
 */
final class ServerConnection implements Runnable {
  /** A decoded request waiting for the compute thread. */
  record Queued(ServerConnection from, RequestId id, DispatchBatch batch) {}

  /** What the connection hands to its server. */
  interface Sink {
    /** Blocks while the queue is full; false once the server is closing. */
    boolean enqueue(Queued request) throws InterruptedException;

    void stopRequested();

    /** The connection ended. */
    void closed(ServerConnection connection);
  }

  private final Socket socket;
  private final int slot;
  private final TokenBatchCodec codec;
  private final Sink sink;
  private final DataOutputStream out;

  ServerConnection(Socket socket, int slot, TokenBatchCodec codec, Sink sink) throws IOException {
    this.socket = socket;
    this.slot = slot;
    this.codec = codec;
    this.sink = sink;
    socket.setTcpNoDelay(true);
    this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
  }

  @Override
  public void run() {
    try (DataInputStream in =
        new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16))) {
      for (Frame frame = Frame.read(in); frame != null; frame = Frame.read(in)) {
        if (frame.kind() == Frame.Kind.STOP) {
          sink.stopRequested();
          return;
        }
        if (frame.kind() == Frame.Kind.REQUEST && !accept(frame)) {
          return;
        }
      }
    } catch (IOException e) {
      // The owner went away or the server is closing: its requests die with the connection and
      // the owner resends them elsewhere.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      close();
      sink.closed(this);
    }
  }

  private boolean accept(Frame frame) throws InterruptedException {
    RequestId id = frame.id();
    if (id.slot() != slot) {
      send(
          Frame.error(
              id,
              String.format(
                  "Cannot compute a batch for slot %d on the server of slot %d: the owner's"
                      + " server addresses are stale",
                  id.slot(), slot)));
      return true;
    }
    DispatchBatch batch;
    try {
      batch = codec.decodeDispatch(frame.payload(), "of " + id);
    } catch (RuntimeException e) {
      send(Frame.error(id, e.getMessage()));
      return true;
    }
    return sink.enqueue(new Queued(this, id, batch));
  }

  /** Writes one frame; false if the connection is gone (the owner will resend elsewhere). */
  synchronized boolean send(Frame frame) {
    try {
      frame.write(out);
      return true;
    } catch (IOException e) {
      close();
      return false;
    }
  }

  void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // Closing: nothing left to tell the owner.
    }
  }
}
