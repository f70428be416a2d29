package dev.sparkmoe.core.safetensors;

import dev.sparkmoe.core.InvalidModelException;
import java.io.Closeable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The tensors of a model directory: either one {@code model.safetensors} or the shards that {@code
 * model.safetensors.index.json} lists; the index wins when both exist.
 *
 * <p>Shards open lazily, on the first access to one of their tensors, and stay open until {@link
 * #close}. Opening a shard checks it against the index: it must hold every tensor the index places
 * in it and no other.
 *
 * <p>Thread-safe: any number of threads may read concurrently; each shard is opened once. {@link
 * #close} must not race with reads.
 */
public final class Checkpoint implements Closeable {
  static final String SINGLE_FILE = "model.safetensors";

  private final Path directory;
  private final CheckpointIndex index;
  private final ConcurrentMap<String, SafetensorsFile> openShards = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private Checkpoint(Path directory, CheckpointIndex index) {
    this.directory = directory;
    this.index = index;
  }

  /**
   * Opens the checkpoint in {@code modelDir}. With an index, this reads the index and checks that
   * every shard exists inside {@code modelDir}; without, it opens {@code model.safetensors}.
   *
   * @throws InvalidModelException if the directory holds no checkpoint or an invalid one
   * @throws UncheckedIOException if reading fails
   */
  public static Checkpoint open(Path modelDir) {
    Objects.requireNonNull(modelDir, "modelDir");
    if (!Files.isDirectory(modelDir)) {
      throw new InvalidModelException(
          "Cannot open checkpoint in " + modelDir + ": not a directory");
    }
    if (Files.exists(modelDir.resolve(CheckpointIndex.FILE_NAME))) {
      return new Checkpoint(modelDir, CheckpointIndex.read(modelDir));
    }
    if (Files.exists(modelDir.resolve(SINGLE_FILE))) {
      return singleFile(modelDir);
    }
    throw new InvalidModelException(
        String.format(
            "Cannot open checkpoint in %s: found neither %s nor %s",
            modelDir, SINGLE_FILE, CheckpointIndex.FILE_NAME));
  }

  /** The model directory, as given to {@link #open}. */
  public Path directory() {
    return directory;
  }

  /** The names of all tensors, in index order or, for a single file, in data order. */
  public Set<String> tensorNames() {
    return index.shardByTensor().keySet();
  }

  /** Whether the checkpoint has a tensor named {@code name}. Opens no shard. */
  public boolean contains(String name) {
    return index.shardByTensor().containsKey(name);
  }

  /**
   * The tensor named {@code name}, opening its shard if needed.
   *
   * @throws InvalidModelException if there is no such tensor or its shard is invalid
   */
  public TensorInfo tensor(String name) {
    return shardOf(name).tensor(name);
  }

  /**
   * All elements of tensor {@code name}, converted to float; see {@link
   * SafetensorsFile#readFloats(String)}.
   */
  public float[] readFloats(String name) {
    return shardOf(name).readFloats(name);
  }

  /**
   * Elements {@code [startElement, startElement + count)} of tensor {@code name}, converted to
   * float, into {@code dst[dstOffset, dstOffset + count)}; see {@link
   * SafetensorsFile#readFloats(String, long, float[], int, int)}.
   */
  public void readFloats(String name, long startElement, float[] dst, int dstOffset, int count) {
    shardOf(name).readFloats(name, startElement, dst, dstOffset, count);
  }

  /** The raw bytes of tensor {@code name}; see {@link SafetensorsFile#bytes(String)}. */
  public ByteBuffer bytes(String name) {
    return shardOf(name).bytes(name);
  }

  /** Closes every open shard. */
  @Override
  public void close() {
    closed = true;
    UncheckedIOException failure = null;
    for (SafetensorsFile shard : openShards.values()) {
      try {
        shard.close();
      } catch (UncheckedIOException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    openShards.clear();
    if (failure != null) {
      throw failure;
    }
  }

  private static Checkpoint singleFile(Path modelDir) {
    Path path = modelDir.resolve(SINGLE_FILE);
    SafetensorsFile file = SafetensorsFile.open(path);
    Map<String, String> shardByTensor = new LinkedHashMap<>();
    file.tensors().forEach(tensor -> shardByTensor.put(tensor.name(), SINGLE_FILE));
    CheckpointIndex index =
        new CheckpointIndex(Collections.unmodifiableMap(shardByTensor), Map.of(SINGLE_FILE, path));
    Checkpoint checkpoint = new Checkpoint(modelDir, index);
    checkpoint.openShards.put(SINGLE_FILE, file);
    return checkpoint;
  }

  private SafetensorsFile shardOf(String name) {
    String shard = index.shardByTensor().get(name);
    if (shard == null) {
      throw new InvalidModelException(
          "Cannot find tensor " + name + " in checkpoint " + directory + ": no shard holds it");
    }
    if (closed) {
      throw new IllegalStateException(
          "Cannot read tensor " + name + " in checkpoint " + directory + ": it is closed");
    }
    return openShards.computeIfAbsent(shard, this::openShard);
  }

  private SafetensorsFile openShard(String shard) {
    SafetensorsFile file = SafetensorsFile.open(index.shardFiles().get(shard));
    try {
      checkAgainstIndex(shard, file);
      return file;
    } catch (RuntimeException e) {
      file.close();
      throw e;
    }
  }

  private void checkAgainstIndex(String shard, SafetensorsFile file) {
    for (TensorInfo tensor : file.tensors()) {
      String listed = index.shardByTensor().get(tensor.name());
      if (!shard.equals(listed)) {
        String where = listed == null ? "does not list it" : "places it in shard " + listed;
        throw inconsistent(shard, "it holds tensor " + tensor.name() + " but the index " + where);
      }
    }
    index
        .shardByTensor()
        .forEach(
            (tensor, listedShard) -> {
              if (listedShard.equals(shard) && file.find(tensor).isEmpty()) {
                throw inconsistent(
                    shard, "it lacks tensor " + tensor + ", which the index places there");
              }
            });
  }

  private InvalidModelException inconsistent(String shard, String problem) {
    return new InvalidModelException(
        String.format("Cannot open shard %s of checkpoint %s: %s", shard, directory, problem));
  }
}
