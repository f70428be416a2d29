package dev.sparkmoe.core.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.backend.ResidentExpert;
import dev.sparkmoe.core.batch.ActivationDtype;
import dev.sparkmoe.core.batch.Allocators;
import dev.sparkmoe.core.batch.CombineBatch;
import dev.sparkmoe.core.batch.DispatchBatch;
import dev.sparkmoe.core.batch.TokenBatchCodec;
import dev.sparkmoe.core.exchange.OwnerDispatch;
import dev.sparkmoe.core.exchange.OwnerStats;
import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.pipeline.ExpertWorker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One expert server on loopback: gathering, its statistics, STOP, and the errors it answers. */
class ExpertServerTest {
  @TempDir static Path temp;
  private static MoeModel model;
  private static CpuExpertBackend backend;
  private static ExpertWorker worker;
  private final Random random = new Random();
  private BufferAllocator allocator;
  private TokenBatchCodec codec;

  @BeforeAll
  static void open() {
    model = MoeModel.open(ModelFixtures.tinyMixtral(temp.resolve("m")));
    backend = new CpuExpertBackend();
    Map<Long, ResidentExpert> residents = new ConcurrentHashMap<>();
    worker =
        new ExpertWorker(
            backend,
            (layer, expert) ->
                residents.computeIfAbsent(
                    ((long) layer << 32) | expert,
                    k -> backend.upload(model.loadExpert(layer, expert))));
  }

  @AfterAll
  static void close() {
    model.close();
  }

  @BeforeEach
  void openAllocator() {
    allocator = Allocators.root("expert-server-test");
    codec = new TokenBatchCodec(allocator);
  }

  @AfterEach
  void closeAllocator() {
    allocator.close();
  }

  /**
   * The f32 CPU backend's rows do not depend on the rows that share the call: batches of 1, 5, 13
   * and 300 entries computed as one (GEMM row blocks straddled at other offsets) give each entry
   * the bits it gets alone.
   */
  @Test
  void aGatheredComputationGivesEachBatchTheBitsItGetsAlone() {
    List<DispatchBatch> batches =
        List.of(batch(1, 0, 1), batch(1, 1, 5), batch(1, 2, 13), batch(1, 3, 300));
    long[] gatheredCounts = new long[8];
    List<CombineBatch> gathered = GatheredCompute.compute(worker, batches, gatheredCounts);
    long[] aloneCounts = new long[8];
    for (int b = 0; b < batches.size(); b++) {
      CombineBatch alone = worker.compute(batches.get(b), aloneCounts);
      assertThat(gathered.get(b).sourcePartition()).isEqualTo(b);
      assertThat(gathered.get(b)).as("batch %d, as computed alone", b).isEqualTo(alone);
    }
    assertThat(gatheredCounts).isEqualTo(aloneCounts);
  }

  /**
   * Requests queued behind a busy compute thread are gathered into fewer computations, and every
   * owner still gets its own answer.
   */
  @Test
  void requestsOfOneLayerFromManyOwnersAreGatheredAndSplitBack() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch entered = new CountDownLatch(1);
    ExpertWorker gated =
        new ExpertWorker(
            backend,
            (layer, expert) -> {
              entered.countDown();
              await(release);
              return backend.upload(model.loadExpert(layer, expert));
            });
    ServerOptions options = new ServerOptions("127.0.0.1", 16, 4096, 0);
    try (ExpertServer server = ExpertServer.start(options, 0, gated, codec, f32(), 8)) {
      StaticAddresses addresses = new StaticAddresses().put(0, server.address());
      ServiceOptions client = ServiceOptions.defaults();
      List<Thread> owners = new ArrayList<>();
      List<DispatchBatch> sent = new ArrayList<>();
      Map<Integer, CombineBatch> answers = new ConcurrentHashMap<>();
      for (int p = 0; p < 6; p++) {
        DispatchBatch batch = batch(0, p, 7 + p);
        sent.add(batch);
        int partition = p;
        owners.add(
            new Thread(
                () -> {
                  try (ServiceExchange exchange = new ServiceExchange(addresses, client, 0)) {
                    byte[] answer = exchange.exchange(0, dispatch(partition, batch)).get(0);
                    answers.put(partition, codec.decodeCombine(answer));
                  }
                }));
        owners.get(p).start();
        if (p == 0) {
          assertThat(entered.await(30, TimeUnit.SECONDS)).as("owner 0 is computing").isTrue();
        }
      }
      waitForQueue(server, 0, 5);
      release.countDown();
      for (Thread owner : owners) {
        owner.join();
      }
      for (int p = 0; p < 6; p++) {
        assertThat(answers.get(p)).isEqualTo(worker.compute(sent.get(p), new long[8]));
      }
      ServerStats.Layer layer0 = server.stats().layers().get(0);
      assertThat(layer0.requests()).isEqualTo(6);
      assertThat(layer0.computations())
          .as("owner 0 alone, then the five that queued behind it together")
          .isEqualTo(2);
      assertThat(layer0.tokens()).isEqualTo(7 + 8 + 9 + 10 + 11 + 12);
      assertThat(layer0.maxQueueDepth()).isEqualTo(5);
    }
  }

  @Test
  void aStopFrameEndsAwaitStop() throws Exception {
    try (ExpertServer server =
        ExpertServer.start(ServerOptions.loopback(), 3, worker, codec, f32(), 8)) {
      Thread waiter =
          new Thread(
              () -> {
                try {
                  server.awaitStop();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              });
      waiter.start();
      ExpertServer.stop(server.address(), Duration.ofSeconds(5));
      waiter.join(TimeUnit.SECONDS.toMillis(30));
      assertThat(waiter.isAlive()).as("awaitStop returned after STOP").isFalse();
    }
  }

  @Test
  void aBatchForAnotherSlotIsRefusedWithTheSlotsNamed() {
    try (ExpertServer server =
            ExpertServer.start(ServerOptions.loopback(), 0, worker, codec, f32(), 8);
        ServiceExchange exchange =
            new ServiceExchange(
                new StaticAddresses().put(1, server.address()), ServiceOptions.defaults(), 0)) {
      OwnerDispatch toSlot1 =
          new OwnerDispatch(
              0,
              4,
              new int[] {1},
              new byte[][] {codec.encode(batch(0, 4, 3), f32())},
              new OwnerStats(3, 0, 0, 0, 0));
      assertThatThrownBy(() -> exchange.exchange(0, toSlot1))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage(
              "Cannot compute a batch for slot 1 on the server of slot 0: the owner's server"
                  + " addresses are stale (request: owner partition 4 (attempt 0), layer 0,"
                  + " micro-batch 0, slot 1)");
    }
  }

  @Test
  void aFailedComputationReachesTheOwnerWithTheServersMessage() {
    ExpertWorker broken =
        new ExpertWorker(
            backend,
            (layer, expert) -> {
              throw new IllegalStateException("Cannot load expert " + expert + ": disk gone");
            });
    try (ExpertServer server =
            ExpertServer.start(ServerOptions.loopback(), 0, broken, codec, f32(), 8);
        ServiceExchange exchange =
            new ServiceExchange(
                new StaticAddresses().put(0, server.address()), ServiceOptions.defaults(), 1)) {
      DispatchBatch batch = batch(2, 5, 4);
      assertThatThrownBy(() -> exchange.exchange(2, dispatch(5, batch)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith(
              "Cannot compute layer 2 on the expert server of slot 0 at " + server.address())
          .hasMessageContaining(": Cannot load expert ")
          .hasMessageContaining(": disk gone (request: owner partition 5 (attempt 1), layer 2");
    }
  }

  private OwnerDispatch dispatch(int partition, DispatchBatch batch) {
    return new OwnerDispatch(
        batch.layer(),
        partition,
        new int[] {0},
        new byte[][] {codec.encode(batch, f32())},
        new OwnerStats(batch.numTokens(), 0, 0, 0, 0));
  }

  private static void waitForQueue(ExpertServer server, int layer, int depth) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (server.queueDepth() < depth && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    assertThat(server.queueDepth())
        .as("requests queued behind layer %d's compute", layer)
        .isEqualTo(depth);
  }

  private DispatchBatch batch(int layer, int partition, int n) {
    int hidden = model.config().hiddenSize();
    long[] keys = new long[n];
    int[] positions = new int[n];
    int[] experts = new int[n];
    float[] weights = new float[n];
    float[] activations = new float[n * hidden];
    for (int i = 0; i < n; i++) {
      keys[i] = ((long) partition << 32) | i;
      positions[i] = i;
      experts[i] = random.nextInt(2);
      weights[i] = random.nextFloat() + 0.01f;
    }
    for (int i = 0; i < activations.length; i++) {
      activations[i] = (float) random.nextGaussian();
    }
    return new DispatchBatch(
        layer, partition, hidden, keys, positions, experts, weights, activations);
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static ActivationDtype f32() {
    return ActivationDtype.F32;
  }
}
