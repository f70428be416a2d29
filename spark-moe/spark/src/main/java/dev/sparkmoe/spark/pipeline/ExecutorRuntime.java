package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.backend.ExpertBackend;
import dev.sparkmoe.core.backend.ExpertBackends;
import dev.sparkmoe.core.backend.ResidentExpert;
import dev.sparkmoe.core.batch.Allocators;
import dev.sparkmoe.core.model.DenseWeights;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.spark.cluster.ExecutorSlot;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.spark.TaskContext;

/**
 * What one executor JVM keeps for the life of the executor, per (model, backend): the memory-mapped
 * model, the dense weights (loaded by the first token-owner task), the backend, and the experts it
 * hosts, each made resident once — never per task, never per layer. Weights are never broadcast:
 * every executor maps its own slices. Thread-safe.
 */
final class ExecutorRuntime {
  private static final Map<String, ExecutorRuntime> RUNTIMES = new ConcurrentHashMap<>();
  private static final BufferAllocator ALLOCATOR = Allocators.root("spark-moe-executor");

  private final MoeModel model;
  private final String backendName;
  private final Map<String, ResidentExpert> experts = new ConcurrentHashMap<>();
  private final AtomicInteger expertLoads = new AtomicInteger();
  private volatile DenseWeights dense;
  private volatile ExpertBackend backend;

  private ExecutorRuntime(MoeModel model, String backendName) {
    this.model = model;
    this.backendName = backendName;
  }

  static ExecutorRuntime get(String modelPath, String backendName) {
    return RUNTIMES.computeIfAbsent(
        modelPath + "|" + backendName,
        key -> new ExecutorRuntime(MoeModel.open(Path.of(modelPath)), backendName));
  }

  /** The executor's Arrow allocator; codecs take named children of it and close them. */
  static BufferAllocator allocator() {
    return ALLOCATOR;
  }

  MoeModel model() {
    return model;
  }

  DenseWeights dense() {
    DenseWeights loaded = dense;
    if (loaded == null) {
      synchronized (this) {
        if (dense == null) {
          dense = model.loadDense();
        }
        loaded = dense;
      }
    }
    return loaded;
  }

  ExpertBackend backend() {
    ExpertBackend created = backend;
    if (created == null) {
      synchronized (this) {
        if (backend == null) {
          // The GPU Spark assigned to this executor's tasks, so executors sharing a node do not
          // all open GPU 0.
          String gpu = TaskContext.get() == null ? null : ExecutorSlot.ofCurrentTask().gpuAddress();
          backend = ExpertBackends.create(backendName, gpu);
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
   * in this executor; only the shard's bytes are read.
   */
  ResidentExpert resident(int layer, int expert, int shard, int shards) {
    String key = layer + "/" + expert + "/" + shard + "/" + shards;
    return experts.computeIfAbsent(
        key,
        k -> {
          expertLoads.incrementAndGet();
          return backend().upload(model.loadExpertShard(layer, expert, shard, shards));
        });
  }

  /** How many experts this executor has loaded so far. */
  int expertLoads() {
    return expertLoads.get();
  }
}
