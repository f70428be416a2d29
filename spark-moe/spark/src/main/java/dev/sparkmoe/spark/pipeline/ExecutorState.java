package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.backend.ExpertBackends;
import dev.sparkmoe.core.batch.Allocators;
import dev.sparkmoe.core.model.ModelFingerprint;
import dev.sparkmoe.core.nn.ComputeDtype;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.spark.TaskContext;
import org.apache.spark.util.TaskCompletionListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one executor JVM holds for its lifetime: the Arrow allocator every codec takes children of,
 * and one {@link ExecutorRuntime} per (model path, backend, compute dtype) — the one of the model's
 * current {@link ModelFingerprint}.
 *
 * <p>Ownership: {@link MoeSparkPlugin}'s executor side creates, {@linkplain #install installs} and
 * closes one per executor where {@code spark.plugins} names the plugin; elsewhere {@link
 * #current()} falls back to one JVM-wide state that a shutdown hook closes.
 *
 * <p>A runtime acquired inside a Spark task is in use until the task completes. When an acquire
 * finds the model's files changed, the stale runtime is replaced, and closed as soon as no task
 * uses it any more. Outside a task nothing says when the caller is done, so such a runtime stays
 * open until the state closes. Thread-safe; a model is opened under the state's lock, once.
 */
final class ExecutorState implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ExecutorState.class);
  static final String FALLBACK_NAME = "spark-moe-executor";

  private static volatile ExecutorState installed;
  private static ExecutorState fallback;

  private final String name;
  private final BufferAllocator allocator;
  private final ExecutorRuntime.BackendFactory backends;
  private final Map<String, ExecutorRuntime> current = new HashMap<>();
  private final Map<ExecutorRuntime, Integer> users = new IdentityHashMap<>();
  private final List<ExecutorRuntime> retired = new ArrayList<>();
  private boolean closed;

  /** A state named {@code name} (its allocator's name) whose backends come from ServiceLoader. */
  ExecutorState(String name) {
    this(name, ExpertBackends::create);
  }

  ExecutorState(String name, ExecutorRuntime.BackendFactory backends) {
    this.name = name;
    this.allocator = Allocators.root(name);
    this.backends = backends;
  }

  /** The installed state (the plugin's) if there is one, else the JVM-wide fallback. */
  static ExecutorState current() {
    ExecutorState state = installed;
    return state != null ? state : fallback();
  }

  /** The state the plugin installed, if one is installed now. */
  static Optional<ExecutorState> installed() {
    return Optional.ofNullable(installed);
  }

  /** Makes {@code state} the one {@link #current()} returns, until {@link #uninstall}. */
  static synchronized void install(ExecutorState state) {
    installed = state;
  }

  /** Stops {@code state} being current, if it is. */
  static synchronized void uninstall(ExecutorState state) {
    if (installed == state) {
      installed = null;
    }
  }

  private static synchronized ExecutorState fallback() {
    if (fallback == null) {
      ExecutorState state = new ExecutorState(FALLBACK_NAME);
      Runtime.getRuntime()
          .addShutdownHook(new Thread(() -> state.closeAtExit(), FALLBACK_NAME + "-close"));
      fallback = state;
    }
    return fallback;
  }

  String name() {
    return name;
  }

  BufferAllocator allocator() {
    return allocator;
  }

  /**
   * The runtime of the model at {@code modelPath} for backend {@code backendName} computing in
   * {@code computeDtype}, in use until the current Spark task completes (or, outside a task, until
   * this state closes).
   */
  ExecutorRuntime runtimeForTask(String modelPath, String backendName, ComputeDtype computeDtype) {
    ExecutorRuntime runtime = acquire(modelPath, backendName, computeDtype);
    TaskContext task = TaskContext.get();
    if (task != null) {
      task.addTaskCompletionListener((TaskCompletionListener) context -> release(runtime));
    }
    return runtime;
  }

  /**
   * The runtime of the model at {@code modelPath} as its files are now, counted as in use until
   * {@link #release}: a runtime of an older fingerprint is retired and closed when its last user
   * releases it.
   *
   * @throws IllegalStateException if this state is closed
   */
  ExecutorRuntime acquire(String modelPath, String backendName, ComputeDtype computeDtype) {
    ModelFingerprint fingerprint = ModelFingerprint.of(Path.of(modelPath));
    synchronized (this) {
      checkOpen(modelPath);
      String key = modelPath + "|" + backendName + "|" + computeDtype.optionName();
      ExecutorRuntime runtime = current.get(key);
      if (runtime == null || !runtime.fingerprint().equals(fingerprint)) {
        if (runtime != null) {
          current.remove(key);
          retire(runtime);
        }
        runtime = ExecutorRuntime.open(fingerprint, backendName, computeDtype, backends);
        current.put(key, runtime);
      }
      users.merge(runtime, 1, Integer::sum);
      return runtime;
    }
  }

  /** Ends one use of {@code runtime}; a retired runtime closes with its last use. */
  synchronized void release(ExecutorRuntime runtime) {
    Integer left = users.computeIfPresent(runtime, (r, n) -> n == 1 ? null : n - 1);
    if (left == null && retired.remove(runtime)) {
      // In a task's completion listener, where a throw would fail a task that succeeded.
      try {
        runtime.close();
      } catch (RuntimeException e) {
        LOG.warn(
            "Cannot close the stale runtime of model {}", runtime.fingerprint().directory(), e);
      }
    }
  }

  /** The runtimes not yet closed: the current ones and the retired ones still in use. */
  synchronized List<ExecutorRuntime> openRuntimes() {
    List<ExecutorRuntime> open = new ArrayList<>(current.values());
    open.addAll(retired);
    return open;
  }

  synchronized boolean isClosed() {
    return closed;
  }

  /**
   * Closes every runtime, in use or not (the executor is going away), then the allocator, whose
   * leak check runs here. Idempotent.
   *
   * @throws IllegalStateException if Arrow memory taken from the allocator is still outstanding
   *     (naming the allocator and what it still holds), after everything else has been closed
   */
  @Override
  public void close() {
    List<ExecutorRuntime> runtimes;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      runtimes = openRuntimes();
      current.clear();
      retired.clear();
      users.clear();
    }
    RuntimeException failure = null;
    for (ExecutorRuntime runtime : runtimes) {
      failure = closeCollecting(runtime, failure);
    }
    try {
      allocator.close();
    } catch (IllegalStateException e) {
      failure =
          chain(
              failure,
              new IllegalStateException(
                  "Cannot close executor allocator " + name + ": " + e.getMessage(), e));
    }
    if (failure != null) {
      throw failure;
    }
  }

  private void retire(ExecutorRuntime runtime) {
    if (users.containsKey(runtime)) {
      retired.add(runtime);
    } else {
      runtime.close();
    }
  }

  private void checkOpen(String modelPath) {
    if (closed) {
      throw new IllegalStateException(
          String.format(
              "Cannot load model %s on executor state %s: it is closed (the executor is shutting"
                  + " down)",
              modelPath, name));
    }
  }

  /** At JVM exit logging may already have stopped: a failure goes to standard error. */
  private void closeAtExit() {
    try {
      close();
    } catch (RuntimeException e) {
      System.err.println("spark-moe: " + e.getMessage());
    }
  }

  private static RuntimeException closeCollecting(
      ExecutorRuntime runtime, RuntimeException failure) {
    try {
      runtime.close();
      return failure;
    } catch (RuntimeException e) {
      return chain(failure, e);
    }
  }

  private static RuntimeException chain(RuntimeException first, RuntimeException next) {
    if (first == null) {
      return next;
    }
    first.addSuppressed(next);
    return first;
  }
}
