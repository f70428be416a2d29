package dev.sparkmoe.spark.pipeline;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's registry of expert-server addresses, over a line protocol on a TCP socket ({@link
 * RegistryEndpoint} is the client). A server task reports {@code (slot, stage attempt, host:port)}
 * and keeps its connection open; {@link #stopServers} answers {@code STOP} on every such
 * connection. An owner asks for a slot's address other than one that failed and waits for it: after
 * a lost server, Spark relaunches the whole barrier stage and the new attempt reports new
 * addresses. An address of an older stage attempt never replaces a newer one.
 *
 * <p>Thread-safe. One thread accepts, one per connection serves it (the servers' connections stay
 * open for the run, an owner's for one question); {@link #close} ends them all.
 */
final class AddressRegistry implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AddressRegistry.class);

  private final ServerSocket socket;
  private final ExecutorService threads;
  private final Map<Integer, Published> published = new HashMap<>();
  private final List<Socket> serverLinks = new ArrayList<>();
  private boolean stopping;

  private record Published(int attempt, InetSocketAddress address) {}

  private final String advertisedHost;

  private AddressRegistry(ServerSocket socket, String advertisedHost) {
    this.socket = socket;
    this.advertisedHost = advertisedHost;
    this.threads =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "spark-moe-address-registry");
              t.setDaemon(true);
              return t;
            });
    threads.execute(this::acceptLoop);
  }

  /**
   * A registry listening on an ephemeral port of {@code bindHost}, which tasks reach at {@code
   * advertisedHost} (the driver's bind address and host).
   */
  static AddressRegistry start(String bindHost, String advertisedHost) {
    try {
      ServerSocket socket = new ServerSocket();
      socket.bind(new InetSocketAddress(InetAddress.getByName(bindHost), 0));
      return new AddressRegistry(socket, advertisedHost);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start the expert-server registry on " + bindHost, e);
    }
  }

  RegistryEndpoint endpoint() {
    return new RegistryEndpoint(advertisedHost, socket.getLocalPort());
  }

  /**
   * Waits until every slot below {@code slots} has an address; false when {@code alive} turns false
   * first or the deadline passes.
   */
  synchronized boolean awaitAll(
      int slots, long deadlineNanos, java.util.function.BooleanSupplier alive)
      throws InterruptedException {
    while (published.size() < slots) {
      long left = deadlineNanos - System.nanoTime();
      if (left <= 0 || !alive.getAsBoolean()) {
        return false;
      }
      wait(Math.min(100, Math.max(1, left / 1_000_000)));
    }
    return true;
  }

  /** The stage attempt of each slot's current address, by slot. */
  synchronized Map<Integer, Integer> attempts() {
    Map<Integer, Integer> out = new HashMap<>();
    published.forEach((slot, p) -> out.put(slot, p.attempt()));
    return out;
  }

  /** Answers STOP to every server that reported, now and from now on. */
  void stopServers() {
    List<Socket> links;
    synchronized (this) {
      stopping = true;
      links = List.copyOf(serverLinks);
      notifyAll();
    }
    for (Socket link : links) {
      sendStop(link);
    }
  }

  @Override
  public void close() {
    stopServers();
    try {
      socket.close();
    } catch (IOException e) {
      LOG.warn("Cannot close the expert-server registry: {}", e.toString());
    }
    synchronized (this) {
      serverLinks.forEach(AddressRegistry::closeQuietly);
      notifyAll();
    }
    threads.shutdownNow();
    try {
      if (!threads.awaitTermination(10, TimeUnit.SECONDS)) {
        LOG.warn("The expert-server registry's threads did not end within 10 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void acceptLoop() {
    while (!socket.isClosed()) {
      try {
        Socket client = socket.accept();
        threads.execute(() -> serve(client));
      } catch (IOException e) {
        if (!socket.isClosed()) {
          LOG.warn("The expert-server registry cannot accept: {}", e.toString());
        }
        return;
      } catch (java.util.concurrent.RejectedExecutionException e) {
        return;
      }
    }
  }

  private void serve(Socket client) {
    try {
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
      String line = in.readLine();
      if (line == null) {
        client.close();
        return;
      }
      String[] words = line.trim().split(" ");
      switch (words[0]) {
        case "REPORT" -> report(client, in, words);
        case "ASK" -> ask(client, words);
        default -> {
          reply(client, "ERROR unknown request " + words[0]);
          client.close();
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("Expert-server registry connection ended: {}", e.toString());
      closeQuietly(client);
    } catch (InterruptedException e) {
      closeQuietly(client);
      Thread.currentThread().interrupt();
    }
  }

  /** {@code REPORT slot attempt host port}: publishes, answers OK, and keeps the link for STOP. */
  private void report(Socket client, BufferedReader in, String[] words) throws IOException {
    int slot = Integer.parseInt(words[1]);
    int attempt = Integer.parseInt(words[2]);
    InetSocketAddress address = new InetSocketAddress(words[3], Integer.parseInt(words[4]));
    boolean stop;
    synchronized (this) {
      Published current = published.get(slot);
      if (current == null || current.attempt() <= attempt) {
        published.put(slot, new Published(attempt, address));
      }
      serverLinks.add(client);
      stop = stopping;
      notifyAll();
    }
    LOG.info(
        "spark-moe: expert server of slot {} (stage attempt {}) at {}", slot, attempt, address);
    reply(client, stop ? "STOP" : "OK");
    // The link stays open until STOP; its end (the task gone) needs no action here.
    while (in.readLine() != null) {
      // servers send nothing more
    }
    synchronized (this) {
      serverLinks.remove(client);
    }
    closeQuietly(client);
  }

  /**
   * {@code ASK slot failed-host:port|- timeoutMs}: answers {@code ADDR host port} or {@code NONE}.
   */
  private void ask(Socket client, String[] words) throws IOException, InterruptedException {
    int slot = Integer.parseInt(words[1]);
    String failed = words[2];
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Long.parseLong(words[3]));
    InetSocketAddress found;
    synchronized (this) {
      while ((found = usable(slot, failed)) == null && !stopping) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        wait(Math.max(1, left / 1_000_000));
      }
    }
    reply(
        client,
        found == null
            ? "NONE"
            : "ADDR " + found.getAddress().getHostAddress() + " " + found.getPort());
    client.close();
  }

  private InetSocketAddress usable(int slot, String failed) {
    Published p = published.get(slot);
    if (p == null) {
      return null;
    }
    String hostPort = p.address().getAddress().getHostAddress() + ":" + p.address().getPort();
    return hostPort.equals(failed) ? null : p.address();
  }

  private static void sendStop(Socket link) {
    try {
      reply(link, "STOP");
    } catch (IOException e) {
      LOG.debug("Cannot send STOP to an expert server (it is gone): {}", e.toString());
    }
  }

  private static void reply(Socket client, String line) throws IOException {
    synchronized (client) { // a STOP may race the OK of a late report
      write(client, line);
    }
  }

  private static void write(Socket client, String line) throws IOException {
    PrintWriter out =
        new PrintWriter(
            new java.io.OutputStreamWriter(client.getOutputStream(), StandardCharsets.UTF_8));
    out.print(line + "\n");
    out.flush();
    if (out.checkError()) {
      throw new IOException("cannot write to " + client.getRemoteSocketAddress());
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
