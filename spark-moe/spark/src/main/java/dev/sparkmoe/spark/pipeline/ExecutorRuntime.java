package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.backend.ExpertBackend;
import dev.sparkmoe.core.backend.ExpertBackends;
import dev.sparkmoe.core.backend.ResidentExpert;
import dev.sparkmoe.core.forward.DecoderStage;
import dev.sparkmoe.core.model.DenseWeights;
import dev.sparkmoe.core.model.ModelFingerprint;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.nn.Bf16Gemm;
import dev.sparkmoe.core.nn.ComputeDtype;
import dev.sparkmoe.spark.cluster.ExecutorSlot;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.spark.TaskContext;

/**
 * What one executor keeps for one version of a model, one backend and one compute dtype: the
 * memory-mapped model, the dense weights (loaded by the first token-owner task), the backend, and
 * the experts it hosts, each made resident once — never per task, never per layer. Weights are
 * never broadcast: every executor maps its own slices.
 *
 * <p>Owned by the executor's {@link ExecutorState}, which hands out the runtime of a model's
 * current {@link ModelFingerprint} and closes a runtime once the model has changed and no task uses
 * it, or when the executor shuts down. Thread-safe; a closed runtime refuses to load anything.
 */
final class ExecutorRuntime implements AutoCloseable {
  private final ModelFingerprint fingerprint;
  private final MoeModel model;
  private final String backendName;
  private final ComputeDtype computeDtype;
  private final BackendFactory backends;
  private final Map<String, CompletableFuture<ResidentExpert>> experts = new ConcurrentHashMap<>();
  private final ExpertLoader loader = new ExpertLoader();
  private final AtomicInteger expertLoads = new AtomicInteger();
  private final LongAdder expertLoadNanos = new LongAdder();
  private volatile DenseWeights dense;
  private volatile ExpertBackend backend;
  private volatile boolean closed;

  /**
   * Creates a backend by name on a device address (null: none) computing in a dtype; {@link
   * ExpertBackends#create}.
   */
  @FunctionalInterface
  interface BackendFactory {
    ExpertBackend create(String backendName, String deviceAddress, ComputeDtype computeDtype);
  }

  private ExecutorRuntime(
      ModelFingerprint fingerprint,
      MoeModel model,
      String backendName,
      ComputeDtype computeDtype,
      BackendFactory backends) {
    this.fingerprint = fingerprint;
    this.model = model;
    this.backendName = backendName;
    this.computeDtype = computeDtype;
    this.backends = backends;
  }

  /**
   * Opens the model that {@code fingerprint} describes; the backend is created by {@code backends}
   * on first use.
   */
  static ExecutorRuntime open(
      ModelFingerprint fingerprint,
      String backendName,
      ComputeDtype computeDtype,
      BackendFactory backends) {
    MoeModel model = MoeModel.open(fingerprint.directory());
    return new ExecutorRuntime(fingerprint, model, backendName, computeDtype, backends);
  }

  /**
   * The runtime of the model at {@code modelPath} as it is now, from this executor's {@link
   * ExecutorState}. Inside a Spark task the runtime stays open until the task completes.
   */
  static ExecutorRuntime get(String modelPath, String backendName, ComputeDtype computeDtype) {
    return ExecutorState.current().runtimeForTask(modelPath, backendName, computeDtype);
  }

  /** The executor's Arrow allocator; codecs take named children of it and close them. */
  static BufferAllocator allocator() {
    return ExecutorState.current().allocator();
  }

  ModelFingerprint fingerprint() {
    return fingerprint;
  }

  String backendName() {
    return backendName;
  }

  ComputeDtype computeDtype() {
    return computeDtype;
  }

  MoeModel model() {
    return model;
  }

  DenseWeights dense() {
    DenseWeights loaded = dense;
    if (loaded == null) {
      synchronized (this) {
        checkOpen();
        if (dense == null) {
          dense = DecoderStage.loadDense(model, attentionDtype());
        }
        loaded = dense;
      }
    }
    return loaded;
  }

  /**
   * The compute dtype's attention projections: bf16 where this CPU has bf16 instructions, else f32.
   * The CPU backend refuses bf16 on such a CPU anyway; a GPU node whose CPU lacks them still runs
   * its experts in bf16 on the GPU and its attention in f32, as before bf16 attention.
   */
  private ComputeDtype attentionDtype() {
    return computeDtype == ComputeDtype.BF16 && Bf16Gemm.unavailableReason().isEmpty()
        ? ComputeDtype.BF16
        : ComputeDtype.F32;
  }

  ExpertBackend backend() {
    ExpertBackend created = backend;
    if (created == null) {
      synchronized (this) {
        checkOpen();
        if (backend == null) {
          // The GPU Spark assigned to this executor's tasks, so executors sharing a node do not
          // all open GPU 0.
          String gpu = TaskContext.get() == null ? null : ExecutorSlot.ofCurrentTask().gpuAddress();
          backend = backends.create(backendName, gpu, computeDtype);
        }
        created = backend;
      }
    }
    return created;
  }

  /** The expert, made resident on first use in this executor. */
  ResidentExpert resident(int layer, int expert) {
    return resident(layer, expert, 0, 1);
  }

  /**
   * Tensor-parallel shard {@code shard} of {@code shards} of the expert, made resident on first use
   * in this executor; only the shard's bytes are read. A whole expert goes through {@link
   * ExpertBackend#upload(MoeModel, int, int)} (a bf16 backend reads bf16 weights straight from the
   * checkpoint); a shard is decoded to f32 and converted once by the backend. Each shard is loaded
   * once: a caller that asks while another task or a {@linkplain #prefetch prefetch} loads it waits
   * for that load.
   */
  ResidentExpert resident(int layer, int expert, int shard, int shards) {
    String key = layer + "/" + expert + "/" + shard + "/" + shards;
    CompletableFuture<ResidentExpert> mine = new CompletableFuture<>();
    CompletableFuture<ResidentExpert> theirs = experts.putIfAbsent(key, mine);
    if (theirs != null) {
      return ExpertLoader.join(theirs);
    }
    try {
      checkOpen();
      expertLoads.incrementAndGet();
      long start = System.nanoTime();
      ResidentExpert loaded =
          shards == 1
              ? backend().upload(model, layer, expert)
              : backend().upload(model.loadExpertShard(layer, expert, shard, shards));
      expertLoadNanos.add(System.nanoTime() - start);
      mine.complete(loaded);
    } catch (RuntimeException | Error e) {
      experts.remove(key, mine); // a later task tries again
      mine.completeExceptionally(e);
    }
    return ExpertLoader.join(mine);
  }

  /**
   * Starts making the shard resident on a background thread, unless it is resident or loading, or
   * {@code layer} is past the last; returns at once. Several prefetched experts load in parallel.
   */
  void prefetch(int layer, int expert, int shard, int shards) {
    if (closed
        || layer >= model.config().numLayers()
        || experts.containsKey(layer + "/" + expert + "/" + shard + "/" + shards)) {
      return;
    }
    backend(); // created on the task's thread, which knows the task's GPU
    loader.submit(() -> resident(layer, expert, shard, shards));
  }

  /**
   * Starts making every expert of {@code layer} resident (whole experts); see {@link #prefetch}.
   */
  void prefetchLayer(int layer) {
    for (int expert = 0; expert < model.config().numExperts(); expert++) {
      prefetch(layer, expert, 0, 1);
    }
  }

  /** Starts loading the dense weights on a background thread, unless loaded; returns at once. */
  void prefetchDense() {
    if (!closed && dense == null) {
      loader.submit(this::dense);
    }
  }

  /** How many experts this executor has loaded so far. */
  int expertLoads() {
    return expertLoads.get();
  }

  /**
   * Time spent so far reading, decoding and uploading experts, summed over the threads that did it
   * (tasks and prefetch threads), so it may exceed the wall time and overlap compute.
   */
  long expertLoadNanos() {
    return expertLoadNanos.sum();
  }

  boolean isClosed() {
    return closed;
  }

  /**
   * Releases the backend (and with it the resident experts' memory, device memory on a GPU) and the
   * model's file mappings. Idempotent. The caller makes sure no task still computes with it.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    loader.close();
    experts.clear();
    if (dense != null) {
      dense.close();
      dense = null;
    }
    try {
      if (backend != null) {
        backend.close();
      }
    } finally {
      model.close();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException(
          String.format(
              "Cannot use the %s runtime of model %s: it is closed (the model changed on disk or"
                  + " the executor is shutting down)",
              backendName, fingerprint.directory()));
    }
  }
}
