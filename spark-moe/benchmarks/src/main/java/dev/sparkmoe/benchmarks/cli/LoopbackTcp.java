package dev.sparkmoe.benchmarks.cli;

import dev.sparkmoe.core.plan.HostTcp;
import dev.sparkmoe.core.plan.KernelCalibration;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Arrays;

/**
 * Ping-pongs over a real TCP connection on the loopback interface: a client sends a length-prefixed
 * message of {@code tokens × hidden} f16 values, an echo thread sends it back, and the round trip
 * is timed on the client. Blocking channels with {@code TCP_NODELAY}, as a JVM expert service would
 * use them. Not thread-safe: one measurement at a time; {@link #close} ends the echo thread.
 */
final class LoopbackTcp implements AutoCloseable {
  private final ServerSocketChannel server;
  private final SocketChannel client;
  private final Thread echo;

  private LoopbackTcp(ServerSocketChannel server, SocketChannel client, Thread echo) {
    this.server = server;
    this.client = client;
    this.echo = echo;
  }

  static LoopbackTcp open() {
    try {
      ServerSocketChannel server = ServerSocketChannel.open();
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      SocketChannel client = SocketChannel.open(server.getLocalAddress());
      client.setOption(StandardSocketOptions.TCP_NODELAY, true);
      SocketChannel accepted = server.accept();
      accepted.setOption(StandardSocketOptions.TCP_NODELAY, true);
      Thread echo = new Thread(() -> echo(accepted), "spark-moe-bench-tcp-echo");
      echo.setDaemon(true);
      echo.start();
      return new LoopbackTcp(server, client, echo);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot open a loopback TCP connection: " + e.getMessage(), e);
    }
  }

  /**
   * The median round trip of {@code repeats} messages of {@code tokens × hidden} f16 values, after
   * as many unmeasured ones, as a calibration row.
   */
  KernelCalibration.Row roundTrip(int tokens, int hidden, int repeats) {
    int bytes = Math.multiplyExact(Math.multiplyExact(tokens, hidden), HostTcp.VALUE_BYTES);
    ByteBuffer message = ByteBuffer.allocateDirect(Integer.BYTES + bytes);
    message.putInt(0, bytes);
    ByteBuffer reply = ByteBuffer.allocateDirect(bytes);
    long[] nanos = new long[repeats];
    for (int i = -repeats; i < repeats; i++) {
      long start = System.nanoTime();
      message.clear();
      writeFully(client, message);
      reply.clear();
      readFully(client, reply);
      if (i >= 0) {
        nanos[i] = System.nanoTime() - start;
      }
    }
    Arrays.sort(nanos);
    return new KernelCalibration.Row(
        HostTcp.DEVICE, HostTcp.ROUND_TRIP, "f16", tokens, hidden, 0, nanos[repeats / 2] / 1e9);
  }

  private static void echo(SocketChannel channel) {
    ByteBuffer length = ByteBuffer.allocate(Integer.BYTES);
    ByteBuffer body = ByteBuffer.allocateDirect(0);
    try (channel) {
      while (true) {
        length.clear();
        if (!readFully(channel, length)) {
          return; // the client closed
        }
        int bytes = length.getInt(0);
        if (body.capacity() < bytes) {
          body = ByteBuffer.allocateDirect(bytes);
        }
        body.clear().limit(bytes);
        readFully(channel, body);
        body.flip();
        writeFully(channel, body);
      }
    } catch (IOException | UncheckedIOException e) {
      // the connection closed under the echo thread at the end of the benchmark
    }
  }

  /** Fills {@code buffer}; false when the peer closed before the first byte. */
  private static boolean readFully(SocketChannel channel, ByteBuffer buffer) {
    try {
      while (buffer.hasRemaining()) {
        if (channel.read(buffer) < 0) {
          if (buffer.position() == 0) {
            return false;
          }
          throw new IOException("peer closed mid-message");
        }
      }
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read from loopback TCP: " + e.getMessage(), e);
    }
  }

  private static void writeFully(SocketChannel channel, ByteBuffer buffer) {
    try {
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write to loopback TCP: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    try {
      client.close();
      server.close();
      echo.join(1000);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot close loopback TCP: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
