package dev.sparkmoe.core.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.core.InvalidModelException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Runs one read of a fuzzed input the way a user's job would (open, then read every tensor) on a
 * thread of its own, under a time limit, measuring the heap it allocates. Anything but a clean load
 * or an {@link InvalidModelException} escapes to the property, which then fails and shrinks.
 */
final class FuzzProbe {
  /** Far above the milliseconds a read of these small files takes: only a hang reaches it. */
  static final Duration TIME_LIMIT = Duration.ofSeconds(10);

  /**
   * Heap a read may allocate whatever the file: Jackson's buffers, the parsed tree of a small
   * header, the tensor records.
   */
  static final long FIXED_ALLOWANCE_BYTES = 8L << 20;

  /**
   * Heap a read may allocate per byte of the file: the header's JSON tree (tens of bytes per
   * number) and decoded tensors (4 bytes per element, at least 2 bytes of file).
   */
  static final long ALLOWANCE_PER_FILE_BYTE = 64;

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private static ExecutorService reader = newReader();

  private FuzzProbe() {}

  enum Outcome {
    LOADED,
    REJECTED
  }

  /** Opens {@code file} as a safetensors file and reads every tensor. */
  static Outcome readFile(Path file, long fileSizeBytes) {
    return probe(
        file,
        fileSizeBytes,
        path -> {
          try (SafetensorsFile opened = SafetensorsFile.open(path)) {
            opened.tensors().forEach(tensor -> opened.readFloats(tensor.name()));
          }
        });
  }

  /** Runs {@code read} on {@code input} and checks the contract; see the class comment. */
  static Outcome probe(Path input, long inputSizeBytes, Consumer<Path> read) {
    Future<Outcome> result = reader.submit(() -> measured(input, inputSizeBytes, read));
    try {
      return result.get(TIME_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      reader.shutdownNow(); // the hung thread is abandoned; later reads get a fresh one
      reader = newReader();
      throw new AssertionError("reading " + input + " hung for " + TIME_LIMIT, e);
    } catch (ExecutionException e) {
      throw rethrown(e.getCause(), input);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while reading " + input, e);
    }
  }

  /** The read's own failure, with the reader thread's stack, for jqwik to report and shrink. */
  private static RuntimeException rethrown(Throwable failure, Path input) {
    if (failure instanceof Error error) {
      throw error;
    }
    if (failure instanceof RuntimeException runtime) {
      return runtime;
    }
    throw new AssertionError("unexpected checked exception reading " + input, failure);
  }

  private static ExecutorService newReader() {
    return Executors.newSingleThreadExecutor(
        runnable -> {
          Thread thread = new Thread(runnable, "fuzz-reader");
          thread.setDaemon(true);
          return thread;
        });
  }

  private static Outcome measured(Path input, long inputSizeBytes, Consumer<Path> read) {
    long before = THREADS.getCurrentThreadAllocatedBytes();
    Outcome outcome = outcome(input, read);
    long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
    assertThat(allocated)
        .as("heap allocated reading %s of %d bytes", input, inputSizeBytes)
        .isLessThanOrEqualTo(FIXED_ALLOWANCE_BYTES + ALLOWANCE_PER_FILE_BYTE * inputSizeBytes);
    return outcome;
  }

  private static Outcome outcome(Path input, Consumer<Path> read) {
    try {
      read.accept(input);
      return Outcome.LOADED;
    } catch (InvalidModelException e) {
      assertThat(e.getMessage())
          .as("message of a rejected file")
          .matches("(Cannot|Invalid) .+")
          .contains(input.getFileName().toString());
      return Outcome.REJECTED;
    }
  }
}
