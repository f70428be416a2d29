package dev.sparkmoe.core.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.backend.ExpertSource;
import dev.sparkmoe.core.backend.ResidentExpert;
import dev.sparkmoe.core.batch.ActivationDtype;
import dev.sparkmoe.core.batch.Allocators;
import dev.sparkmoe.core.batch.TokenBatchCodec;
import dev.sparkmoe.core.exchange.InProcessExchange;
import dev.sparkmoe.core.exchange.OwnerSide;
import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.forward.ReferenceForward;
import dev.sparkmoe.core.generate.TokenGenerator;
import dev.sparkmoe.core.model.DenseWeights;
import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.pipeline.ExpertWorker;
import dev.sparkmoe.core.pipeline.OwnerState;
import dev.sparkmoe.core.pipeline.TokenOwner;
import dev.sparkmoe.core.placement.PlacementPlan;
import dev.sparkmoe.core.placement.PlacementPolicy;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Token owners against real expert servers on loopback sockets: with f32 on the wire every row's
 * final hidden state is the reference forward's and the in-process exchange's, bit for bit, for any
 * slot layout, number of owners and micro-batches; a server lost mid-run is replaced and the
 * requests in flight are resent; a server that never answers fails the owner with the option to
 * raise.
 */
class ServiceExchangeTest {
  private static final int ROWS = 23;

  @TempDir static Path temp;
  private static MoeModel model;
  private static DenseWeights dense;
  private static CpuExpertBackend backend;
  private static Map<Long, ResidentExpert> residents;
  private static List<int[]> rows;
  private static FinalHidden reference;
  private BufferAllocator allocator;
  private TokenBatchCodec codec;
  private final List<ExpertServer> servers = new ArrayList<>();
  private ActivationDtype wire = ActivationDtype.F32;

  @BeforeAll
  static void open() {
    model = MoeModel.open(ModelFixtures.tinyMixtral(temp.resolve("m")));
    dense = model.loadDense();
    backend = new CpuExpertBackend();
    residents = new ConcurrentHashMap<>();
    TokenGenerator generator = new TokenGenerator(41, 1, 24, model.config().vocabSize());
    rows = new ArrayList<>();
    for (long id = 0; id < ROWS; id++) {
      rows.add(generator.tokens(id));
    }
    reference = new ReferenceForward(model, dense, backend).run(rows);
  }

  @AfterAll
  static void close() {
    model.close();
  }

  @BeforeEach
  void openAllocator() {
    allocator = Allocators.root("service-exchange-test");
    codec = new TokenBatchCodec(allocator);
  }

  @AfterEach
  void closeServers() {
    servers.forEach(ExpertServer::close);
    allocator.close();
  }

  @ParameterizedTest(name = "{0} over {1} slots, {2} owners, {3} micro-batches")
  @CsvSource({
    "shared-layers, 2, 1, 1",
    "shared-layers, 2, 2, 3",
    "one-per-gpu, 16, 3, 2",
    "colocate:4, 4, 2, 4",
  })
  void serviceForwardMatchesTheReferenceAndTheInProcessExchangeBitForBit(
      String policy, int slots, int owners, int microBatches) throws Exception {
    PlacementPlan plan = PlacementPlan.of(PlacementPolicy.parse(policy), 2, 8, slots);
    StaticAddresses addresses = startServers(slots, ServerOptions.loopback(), worker(null));
    ServiceOptions options = ServiceOptions.defaults().withMicroBatches(microBatches);

    List<OwnerState> states = runOwners(plan, owners, addresses, options);

    float[] service = merge(plan, states);
    assertThat(bits(service))
        .as("f32 on the wire: the reference forward's arithmetic, operation for operation")
        .isEqualTo(bits(reference.states()));
    assertThat(bits(service))
        .as("the in-process exchange, one batch per owner")
        .isEqualTo(bits(inProcess(plan, owners)));
    long served = servers.stream().mapToLong(s -> s.stats().requests()).sum();
    assertThat(served).as("every layer's batches went through the servers").isPositive();
  }

  /** bf16 on the wire rounds the same values the same way on both exchanges: the same bits. */
  @Test
  void bf16OnTheWireMatchesTheInProcessExchangeBitForBit() throws Exception {
    wire = ActivationDtype.BF16;
    PlacementPlan plan = PlacementPlan.of(PlacementPolicy.SHARED_LAYERS, 2, 8, 2);
    StaticAddresses addresses = startServers(2, ServerOptions.loopback(), worker(null));

    List<OwnerState> states = runOwners(plan, 2, addresses, ServiceOptions.defaults());

    float[] service = merge(plan, states);
    assertThat(bits(service)).isEqualTo(bits(inProcess(plan, 2)));
    assertThat(bits(service))
        .as("bf16 rounding happened: not the f32 reference")
        .isNotEqualTo(bits(reference.states()));
  }

  @Test
  void aServerLostMidRunIsReplacedAndItsRequestsAreResent() throws Exception {
    PlacementPlan plan = PlacementPlan.of(PlacementPolicy.SHARED_LAYERS, 2, 8, 2);
    AtomicBoolean killed = new AtomicBoolean();
    AtomicReference<ExpertServer> doomed = new AtomicReference<>();
    StaticAddresses addresses = new StaticAddresses();
    doomed.set(
        start(
            1,
            ServerOptions.loopback(),
            worker(
                layer -> {
                  if (layer == 1 && killed.compareAndSet(false, true)) {
                    // The server dies while it computes a layer-1 batch: its answer never leaves.
                    ExpertServer replacement = start(1, ServerOptions.loopback(), worker(null));
                    doomed.get().close();
                    addresses.put(1, replacement.address());
                  }
                })));
    addresses.put(1, doomed.get().address());
    addresses.put(0, start(0, ServerOptions.loopback(), worker(null)).address());
    InetSocketAddress before = doomed.get().address();

    ServiceOptions options = ServiceOptions.defaults().withMicroBatches(2);
    OwnerSide side = new OwnerSide(new TokenOwner(model.config(), dense, plan), codec, dtype());
    OwnerState state = embed(side, 0, 0, ROWS);
    try (ServiceExchange exchange = new ServiceExchange(addresses, options, 0)) {
      new MicroBatchForward(side, exchange, options.microBatches())
          .forward(state, model.config().numLayers());
      assertThat(killed).as("the fault fired: slot 1's server closed during layer 1").isTrue();
      assertThat(exchange.reconnects()).as("the owner reconnected to slot 1").isPositive();
    }
    assertThat(addresses.address(1)).as("slot 1 moved").isNotEqualTo(before);
    assertThat(servers.get(servers.size() - 1).stats().requests())
        .as("the replacement answered what was in flight")
        .isPositive();
    assertThat(bits(side.finish(state).states()))
        .as("same bits as a fault-free run (the reference forward)")
        .isEqualTo(bits(reference.states()));
  }

  @Test
  void aServerThatNeverAnswersFailsTheOwnerWithTheOptionToRaise() throws Exception {
    PlacementPlan plan = PlacementPlan.of(PlacementPolicy.SHARED_LAYERS, 2, 8, 1);
    try (ServerSocket silent = new ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress())) {
      Thread sink = new Thread(() -> swallow(silent), "silent-server");
      sink.setDaemon(true);
      sink.start();
      InetSocketAddress address = (InetSocketAddress) silent.getLocalSocketAddress();
      StaticAddresses addresses = new StaticAddresses().put(0, address);
      ServiceOptions options =
          ServiceOptions.defaults()
              .withMicroBatches(1)
              .withTimeouts(Duration.ofMillis(300), Duration.ofSeconds(5));
      OwnerSide side = new OwnerSide(new TokenOwner(model.config(), dense, plan), codec, dtype());
      OwnerState state = embed(side, 7, 0, 4);
      try (ServiceExchange exchange = new ServiceExchange(addresses, options, 2)) {
        assertThatThrownBy(() -> side.forward(state, model.config().numLayers(), exchange))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageStartingWith(
                "Cannot exchange layer 0 with the expert server of slot 0 at " + address)
            .hasMessageContaining("no answer within PT0.3S to owner partition 7 (attempt 2)")
            .hasMessageContaining("raise spark.moe.service.request-timeout-ms");
      }
    }
  }

  /**
   * One-entry queues and many requests in flight from several owners: readers block on full queues
   * while the compute thread answers, and every owner finishes with the reference's bits.
   */
  @Test
  @Timeout(120)
  void boundedQueuesWithManyRequestsInFlightDoNotDeadlock() throws Exception {
    PlacementPlan plan = PlacementPlan.of(PlacementPolicy.ONE_PER_GPU, 2, 8, 16);
    ServerOptions tight = new ServerOptions("127.0.0.1", 1, 1, 0);
    StaticAddresses addresses = startServers(16, tight, worker(null));
    ServiceOptions options = ServiceOptions.defaults().withMicroBatches(4).withMaxInFlight(64);

    List<OwnerState> states = runOwners(plan, 4, addresses, options);

    assertThat(bits(merge(plan, states))).isEqualTo(bits(reference.states()));
    assertThat(servers)
        .allSatisfy(
            s ->
                assertThat(s.stats().layers())
                    .allSatisfy(l -> assertThat(l.maxQueueDepth()).isBetween(1, 2)));
  }

  @Test
  void aFewInFlightPermitsStillCarryBatchesToManySlots() throws Exception {
    PlacementPlan plan = PlacementPlan.of(PlacementPolicy.ONE_PER_GPU, 2, 8, 16);
    StaticAddresses addresses = startServers(16, ServerOptions.loopback(), worker(null));
    ServiceOptions options = ServiceOptions.defaults().withMicroBatches(2).withMaxInFlight(1);

    List<OwnerState> states = runOwners(plan, 1, addresses, options);

    assertThat(bits(merge(plan, states))).isEqualTo(bits(reference.states()));
  }

  /** Per layer, the owner's micro-batches add up to its tokens, and both clocks ran. */
  @Test
  void microBatchTimingsCoverEveryLayerAndToken() {
    PlacementPlan plan = PlacementPlan.of(PlacementPolicy.SHARED_LAYERS, 2, 8, 2);
    StaticAddresses addresses = startServers(2, ServerOptions.loopback(), worker(null));
    OwnerSide side = new OwnerSide(new TokenOwner(model.config(), dense, plan), codec, dtype());
    OwnerState state = embed(side, 0, 0, ROWS);
    List<MicroBatchForward.LayerTiming> timings;
    try (ServiceExchange exchange = new ServiceExchange(addresses, ServiceOptions.defaults(), 0)) {
      timings = new MicroBatchForward(side, exchange, 3).forward(state, model.config().numLayers());
    }
    assertThat(timings).extracting(MicroBatchForward.LayerTiming::layer).containsExactly(0, 1);
    assertThat(timings)
        .allSatisfy(
            t -> {
              assertThat(t.owner().tokens()).isEqualTo(state.numTokens());
              assertThat(t.owner().bytesOut()).isPositive();
              assertThat(t.computeNanos()).isPositive();
              assertThat(t.waitNanos()).isPositive();
            });
    long served = servers.stream().mapToLong(s -> s.stats().tokens()).sum();
    assertThat(served)
        .as("every token to its top-%d experts, on both layers", model.config().topK())
        .isEqualTo(2L * state.numTokens() * model.config().topK());
  }

  @Test
  void microBatchesAreWholeRowsOfAboutEqualTokens() {
    int[] offsets = {0, 5, 6, 7, 20, 21, 22, 40};
    assertThat(MicroBatchForward.split(offsets, 7, 2))
        .as("40 tokens: 20 in each group")
        .containsExactly(0, 4, 7);
    assertThat(MicroBatchForward.split(offsets, 7, 3))
        .as("the first group reaches a third of the tokens, the second two thirds")
        .containsExactly(0, 4, 6, 7);
    assertThat(MicroBatchForward.split(offsets, 7, 9))
        .as("no more groups than rows, none empty")
        .containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
    assertThat(MicroBatchForward.split(new int[] {0}, 0, 4)).containsExactly(0, 0);
  }

  private List<OwnerState> runOwners(
      PlacementPlan plan, int owners, ServerAddresses addresses, ServiceOptions options)
      throws Exception {
    OwnerSide side = new OwnerSide(new TokenOwner(model.config(), dense, plan), codec, dtype());
    ExecutorService pool = Executors.newFixedThreadPool(owners);
    try {
      List<Future<OwnerState>> running = new ArrayList<>();
      int per = (ROWS + owners - 1) / owners;
      for (int p = 0; p < owners; p++) {
        int partition = p;
        running.add(
            pool.submit(
                () -> {
                  OwnerState state =
                      embed(
                          side, partition, partition * per, Math.min(ROWS, (partition + 1) * per));
                  try (ServiceExchange exchange = new ServiceExchange(addresses, options, 0)) {
                    new MicroBatchForward(side, exchange, options.microBatches())
                        .forward(state, model.config().numLayers());
                  }
                  return state;
                }));
      }
      List<OwnerState> states = new ArrayList<>();
      for (Future<OwnerState> future : running) {
        states.add(future.get());
      }
      return states;
    } finally {
      pool.shutdownNow();
    }
  }

  private float[] inProcess(PlacementPlan plan, int owners) {
    OwnerSide side = new OwnerSide(new TokenOwner(model.config(), dense, plan), codec, dtype());
    InProcessExchange exchange =
        new InProcessExchange(worker(null), codec, dtype(), model.config().numExperts());
    List<OwnerState> states = new ArrayList<>();
    int per = (ROWS + owners - 1) / owners;
    for (int p = 0; p < owners; p++) {
      OwnerState state = embed(side, p, p * per, Math.min(ROWS, (p + 1) * per));
      side.forward(state, model.config().numLayers(), exchange);
      states.add(state);
    }
    return merge(plan, states);
  }

  private static float[] merge(PlacementPlan plan, List<OwnerState> states) {
    OwnerSide side =
        new OwnerSide(new TokenOwner(model.config(), dense, plan), null, ActivationDtype.F32);
    List<float[]> parts = states.stream().map(s -> side.finish(s).states()).toList();
    float[] all = new float[parts.stream().mapToInt(p -> p.length).sum()];
    int at = 0;
    for (float[] part : parts) {
      System.arraycopy(part, 0, all, at, part.length);
      at += part.length;
    }
    return all;
  }

  /** Rows [from, to) of the fixture, ids in their canonical order already. */
  private static OwnerState embed(OwnerSide side, int partition, int from, int to) {
    List<Object> ids = IntStream.range(from, to).mapToObj(r -> (Object) (long) r).toList();
    return side.embed(partition, ids, rows.subList(from, to));
  }

  private StaticAddresses startServers(int slots, ServerOptions options, ExpertWorker worker) {
    StaticAddresses addresses = new StaticAddresses();
    for (int slot = 0; slot < slots; slot++) {
      addresses.put(slot, start(slot, options, worker).address());
    }
    return addresses;
  }

  private ExpertServer start(int slot, ServerOptions options, ExpertWorker worker) {
    ExpertServer server =
        ExpertServer.start(options, slot, worker, codec, dtype(), model.config().numExperts());
    servers.add(server);
    return server;
  }

  /** The experts, resident once for the class; {@code onLayer} sees each layer a batch reaches. */
  private static ExpertWorker worker(java.util.function.IntConsumer onLayer) {
    ExpertSource source =
        (layer, expert) -> {
          if (onLayer != null) {
            onLayer.accept(layer);
          }
          return residents.computeIfAbsent(
              ((long) layer << 32) | expert, k -> backend.upload(model.loadExpert(layer, expert)));
        };
    return new ExpertWorker(backend, source);
  }

  private ActivationDtype dtype() {
    return wire;
  }

  private static void swallow(ServerSocket silent) {
    Map<Socket, Boolean> open = new HashMap<>();
    try {
      while (true) {
        Socket socket = silent.accept();
        open.put(socket, true);
        Thread reader =
            new Thread(
                () -> {
                  try (InputStream in = socket.getInputStream()) {
                    in.transferTo(java.io.OutputStream.nullOutputStream());
                  } catch (java.io.IOException e) {
                    // The test ended.
                  }
                });
        reader.setDaemon(true);
        reader.start();
      }
    } catch (java.io.IOException e) {
      // The test closed the socket.
    }
  }

  private static int[] bits(float[] values) {
    int[] out = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = Float.floatToIntBits(values[i]);
    }
    return out;
  }
}
