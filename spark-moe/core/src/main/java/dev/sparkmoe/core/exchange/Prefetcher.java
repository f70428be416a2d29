package dev.sparkmoe.core.exchange;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * Decodes the next input of an expert slot on a second thread while the slot computes the current
 * one. The caller's thread still pulls records from the source (an engine's iterator, which may
 * have to stay on its task thread); only the decode runs elsewhere. Records time spent blocked
 * waiting for a decoded input. Not thread-safe: one per slot and layer.
 */
final class Prefetcher<T, R> implements Iterator<R> {
  private static final ExecutorService DECODERS =
      Executors.newCachedThreadPool(
          runnable -> {
            Thread thread = new Thread(runnable, "spark-moe-decode");
            thread.setDaemon(true);
            return thread;
          });

  private final Iterator<T> source;
  private final Function<T, R> decode;
  private CompletableFuture<R> next;
  private long waitNanos;

  Prefetcher(Iterator<T> source, Function<T, R> decode) {
    this.source = source;
    this.decode = decode;
    this.next = submit();
  }

  private CompletableFuture<R> submit() {
    if (!source.hasNext()) {
      return null;
    }
    T record = source.next();
    return CompletableFuture.supplyAsync(() -> decode.apply(record), DECODERS);
  }

  @Override
  public boolean hasNext() {
    return next != null;
  }

  @Override
  public R next() {
    if (next == null) {
      throw new NoSuchElementException();
    }
    long start = System.nanoTime();
    R value = await(next);
    waitNanos += System.nanoTime() - start;
    next = submit();
    return value;
  }

  /** Total time {@link #next()} waited for a decode that was not ready. */
  long waitNanos() {
    return waitNanos;
  }

  private static <R> R await(CompletableFuture<R> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Cannot decode the next batch: interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(
          "Cannot decode the next batch: " + e.getCause().getMessage(), e.getCause());
    }
  }
}
