package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.backend.ResidentExpert;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The small pool of daemon threads on which an {@link ExecutorRuntime} loads and decodes prefetched
 * experts, several at once, while tasks compute. Threads start on first use and stop when idle.
 * Thread-safe.
 */
final class ExpertLoader implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ExpertLoader.class);
  static final int THREADS =
      Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() / 2));
  private static final AtomicInteger POOLS = new AtomicInteger();

  private final ExecutorService pool;

  ExpertLoader() {
    int id = POOLS.incrementAndGet();
    AtomicInteger threads = new AtomicInteger();
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(
            THREADS,
            THREADS,
            10,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t =
                  new Thread(r, "spark-moe-expert-loader-" + id + "-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    executor.allowCoreThreadTimeOut(true);
    this.pool = executor;
  }

  /**
   * Runs {@code load} in the background; a failure is logged, and the task that needs it retries.
   */
  void submit(Runnable load) {
    try {
      pool.execute(
          () -> {
            try {
              load.run();
            } catch (RuntimeException e) {
              LOG.debug("spark-moe: expert prefetch failed; the task that needs it loads it", e);
            }
          });
    } catch (RejectedExecutionException e) {
      // closed: the runtime refuses loads anyway
    }
  }

  /** The future's expert, its load's own exception if it failed. */
  static ResidentExpert join(CompletableFuture<ResidentExpert> future) {
    try {
      return future.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      if (e.getCause() instanceof Error error) {
        throw error;
      }
      throw e;
    }
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
