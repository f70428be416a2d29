package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.service.ServiceOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Where the driver's {@link AddressRegistry} listens, and its client side: what server tasks and
 * owner tasks send it. Shipped in the tasks' closures.
 */
record RegistryEndpoint(String host, int port) implements java.io.Serializable {
  private static final long serialVersionUID = 1L;
  private static final int POLL_MS = 100;

  /**
   * Reports {@code slot}'s server at {@code address} for stage {@code attempt}, then blocks until
   * the driver says STOP, the registry is gone, or {@code keepWaiting} turns false (the task was
   * killed); returns whether the driver said STOP.
   */
  boolean reportAndAwaitStop(
      int slot, int attempt, InetSocketAddress address, BooleanSupplier keepWaiting) {
    try (Socket socket = connect()) {
      send(
          socket,
          String.format(
              "REPORT %d %d %s %d",
              slot, attempt, address.getAddress().getHostAddress(), address.getPort()));
      socket.setSoTimeout(POLL_MS);
      BufferedReader in = reader(socket);
      while (true) {
        String line;
        try {
          line = in.readLine();
        } catch (SocketTimeoutException e) {
          if (!keepWaiting.getAsBoolean()) {
            return false;
          }
          continue;
        }
        if (line == null) {
          return false;
        }
        if (line.equals("STOP")) {
          return true;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          String.format(
              "Cannot report the expert server of slot %d to the driver's registry at %s:%d",
              slot, host, port),
          e);
    }
  }

  /**
   * {@code slot}'s server address other than {@code failed} (null: any), waiting up to {@code
   * timeout} for one.
   *
   * @throws IllegalStateException naming the slot when none is known in time
   */
  InetSocketAddress ask(int slot, InetSocketAddress failed, Duration timeout) {
    String failedText =
        failed == null ? "-" : failed.getAddress().getHostAddress() + ":" + failed.getPort();
    try (Socket socket = connect()) {
      send(socket, String.format("ASK %d %s %d", slot, failedText, timeout.toMillis()));
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis() + 10_000));
      String line = reader(socket).readLine();
      if (line == null || !line.startsWith("ADDR ")) {
        throw new IllegalStateException(
            String.format(
                "Cannot find the expert server of slot %d: no address %swithin %d ms (the barrier"
                    + " stage of expert servers did not start or restart in time; raise %s or"
                    + " check the executors)",
                slot,
                failed == null ? "" : "other than " + failedText + " ",
                timeout.toMillis(),
                ServiceOptions.CONNECT_TIMEOUT_KEY));
      }
      String[] words = line.split(" ");
      return new InetSocketAddress(words[1], Integer.parseInt(words[2]));
    } catch (IOException e) {
      throw new UncheckedIOException(
          String.format(
              "Cannot ask the driver's registry at %s:%d for the expert server of slot %d",
              host, port, slot),
          e);
    }
  }

  private Socket connect() throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress(host, port), 30_000);
    socket.setTcpNoDelay(true);
    return socket;
  }

  private static void send(Socket socket, String line) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static BufferedReader reader(Socket socket) throws IOException {
    return new BufferedReader(
        new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
  }
}
