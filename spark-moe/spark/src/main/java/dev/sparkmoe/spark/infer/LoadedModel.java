package dev.sparkmoe.spark.infer;

import dev.sparkmoe.core.backend.ExpertBackend;
import dev.sparkmoe.core.backend.ExpertBackends;
import dev.sparkmoe.core.forward.ReferenceForward;
import dev.sparkmoe.core.model.MoeModel;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A model opened once per executor JVM and shared by its tasks: the mapped checkpoint, the dense
 * weights and the resident experts. Entries live as long as the executor; weights are never
 * broadcast, each executor maps the files itself.
 */
final class LoadedModel {
  private static final Map<String, LoadedModel> CACHE = new ConcurrentHashMap<>();
  private static final AtomicInteger LOADS = new AtomicInteger();

  private final MoeModel model;
  private final ReferenceForward forward;

  private LoadedModel(MoeModel model, ReferenceForward forward) {
    this.model = model;
    this.forward = forward;
  }

  /** The model at {@code path} with the named backend, opened on first use in this JVM. */
  static LoadedModel get(String path, String backend) {
    return CACHE.computeIfAbsent(path + "|" + backend, key -> open(path, backend));
  }

  /**
   * How many times a model was opened in this JVM (a test hook: one per executor, not per task).
   */
  static int loads() {
    return LOADS.get();
  }

  private static LoadedModel open(String path, String backendName) {
    MoeModel model = MoeModel.open(Path.of(path));
    ExpertBackend backend = ExpertBackends.create(backendName);
    LOADS.incrementAndGet();
    return new LoadedModel(model, new ReferenceForward(model, model.loadDense(), backend));
  }

  MoeModel model() {
    return model;
  }

  ReferenceForward forward() {
    return forward;
  }
}
