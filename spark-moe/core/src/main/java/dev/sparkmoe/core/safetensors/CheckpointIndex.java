package dev.sparkmoe.core.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkmoe.core.InvalidModelException;
import dev.sparkmoe.core.IoErrors;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where each tensor of a checkpoint lives.
 *
 * @param shardByTensor tensor name to shard file name, in index order
 * @param shardFiles shard file name to its file, checked to exist inside the model directory
 */
record CheckpointIndex(Map<String, String> shardByTensor, Map<String, Path> shardFiles) {
  static final String FILE_NAME = "model.safetensors.index.json";

  /**
   * Reads the {@code weight_map} of {@code directory}'s {@value #FILE_NAME}, resolving every shard
   * inside {@code directory}.
   *
   * <p>A shard may be a symbolic link only to a file inside the directory, or, when the directory
   * is a snapshot of the Hugging Face hub cache ({@code <repo>/snapshots/<revision>/}), to a file
   * in that repository's {@code blobs/} folder: the layout {@code huggingface_hub} downloads into.
   *
   * @throws InvalidModelException if the index is invalid, or a shard is missing or lies outside
   *     the directory, also through a symbolic link
   */
  static CheckpointIndex read(Path directory) {
    Path indexFile = directory.resolve(FILE_NAME);
    JsonNode weightMap = weightMap(parse(indexFile), indexFile);
    Path realDirectory = realPath(directory);
    Map<String, String> shardByTensor = new LinkedHashMap<>();
    Map<String, Path> shardFiles = new HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = weightMap.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      String tensor = entry.getKey();
      String shard = shardName(tensor, entry.getValue(), indexFile);
      if (!shardFiles.containsKey(shard)) {
        shardFiles.put(shard, resolve(directory, realDirectory, tensor, shard));
      }
      shardByTensor.put(tensor, shard);
    }
    return new CheckpointIndex(
        Collections.unmodifiableMap(shardByTensor), Collections.unmodifiableMap(shardFiles));
  }

  private static JsonNode parse(Path indexFile) {
    byte[] bytes;
    try {
      long sizeBytes = Files.size(indexFile);
      if (sizeBytes > SafetensorsHeader.MAX_HEADER_BYTES) {
        throw new InvalidModelException(
            String.format(
                "Cannot read %s: its %d bytes exceed the limit of %d",
                indexFile, sizeBytes, SafetensorsHeader.MAX_HEADER_BYTES));
      }
      bytes = Files.readAllBytes(indexFile);
    } catch (IOException e) {
      throw IoErrors.cannot("read " + indexFile, e);
    }
    return ModelJson.read(
        SafetensorsHeader.STRICT_JSON,
        bytes,
        reason ->
            new InvalidModelException("Cannot read " + indexFile + ": not valid JSON: " + reason));
  }

  private static JsonNode weightMap(JsonNode root, Path indexFile) {
    JsonNode weightMap = root.isObject() ? root.get("weight_map") : null;
    if (weightMap == null || !weightMap.isObject()) {
      throw new InvalidModelException(
          "Cannot read "
              + indexFile
              + ": missing weight_map (expected: an object of tensor names"
              + " to shard file names)");
    }
    return weightMap;
  }

  private static String shardName(String tensor, JsonNode value, Path indexFile) {
    if (!value.isTextual()) {
      throw new InvalidModelException(
          String.format(
              "Invalid weight_map entry %s in %s: %s (expected: a shard file name)",
              Printable.of(tensor), indexFile, Printable.of(value.toString())));
    }
    return value.textValue();
  }

  private static Path resolve(Path directory, Path realDirectory, String tensor, String shard) {
    Path base = directory.toAbsolutePath().normalize();
    Path resolved = base.resolve(relativePath(directory, tensor, shard)).normalize();
    if (!resolved.startsWith(base) || resolved.equals(base)) {
      throw escapes(directory, tensor, shard);
    }
    Path real;
    try {
      real = resolved.toRealPath();
    } catch (NoSuchFileException e) {
      throw unusable(directory, tensor, shard, "does not exist", e);
    } catch (FileSystemException e) { // not a directory on the way, name too long, no access
      String reason = e.getReason() == null ? e.getClass().getSimpleName() : e.getReason();
      throw unusable(directory, tensor, shard, "cannot be opened (" + reason + ")", e);
    } catch (IOException e) {
      throw IoErrors.cannot("resolve shard " + shard + " in " + directory, e);
    }
    if (!real.startsWith(realDirectory) && !inHubBlobs(realDirectory, real)) {
      throw escapes(directory, tensor, shard);
    }
    return resolved;
  }

  /**
   * Whether {@code real} is a file of the hub cache's {@code <repo>/blobs/} and {@code
   * realDirectory} is {@code <repo>/snapshots/<revision>}.
   */
  private static boolean inHubBlobs(Path realDirectory, Path real) {
    Path snapshots = realDirectory.getParent();
    if (snapshots == null
        || snapshots.getParent() == null
        || !snapshots.getFileName().toString().equals("snapshots")) {
      return false;
    }
    Path blobs = snapshots.getParent().resolve("blobs");
    return real.getParent() != null && real.getParent().equals(blobs);
  }

  private static Path relativePath(Path directory, String tensor, String shard) {
    Path path;
    try {
      path = Path.of(shard);
    } catch (InvalidPathException e) {
      throw escapes(directory, tensor, shard);
    }
    if (path.isAbsolute()) {
      throw escapes(directory, tensor, shard);
    }
    return path;
  }

  private static InvalidModelException unusable(
      Path directory, String tensor, String shard, String problem, Exception cause) {
    return new InvalidModelException(
        String.format(
            "Cannot open checkpoint in %s: shard %s of tensor %s %s",
            directory, Printable.of(shard), Printable.of(tensor), problem),
        cause);
  }

  private static InvalidModelException escapes(Path directory, String tensor, String shard) {
    return new InvalidModelException(
        String.format(
            "Cannot open checkpoint in %s: weight_map entry %s points to %s (expected: a file"
                + " inside the model directory)",
            directory, Printable.of(tensor), Printable.of(shard)));
  }

  private static Path realPath(Path directory) {
    try {
      return directory.toRealPath();
    } catch (IOException e) {
      throw IoErrors.cannot("resolve " + directory, e);
    }
  }
}
