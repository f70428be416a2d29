package dev.sparkmoe.core.safetensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;

/**
 * A model directory next to a file it must never read, with every kind of path a {@code weight_map}
 * entry might name: shards inside, in a subfolder, outside, behind symbolic links to a file and to
 * a folder outside, a FIFO (which would block a reader forever), a folder, a file used as a folder.
 *
 * <pre>
 * root/outside/out.safetensors    tensor out.w — must never be read
 * root/model/in.safetensors       tensor in.w
 * root/model/sub/in2.safetensors  tensor sub.w
 * root/model/link.safetensors     → ../outside/out.safetensors
 * root/model/linkdir              → ../outside
 * root/model/fifo.safetensors     a named pipe (where mkfifo exists)
 * root/model/adir/                an empty folder
 * root/model/config.json          a small text file
 * </pre>
 */
final class HostileModelDirectory {
  static final String OUTSIDE_TENSOR = "out.w";

  private HostileModelDirectory() {}

  /** Creates the layout under {@code root} and returns the model directory. */
  static Path create(Path root) throws IOException {
    Random random = new Random();
    Path outside = Files.createDirectories(root.resolve("outside"));
    Path model = Files.createDirectories(root.resolve("model"));
    shard(outside.resolve("out.safetensors"), OUTSIDE_TENSOR, random);
    shard(model.resolve("in.safetensors"), "in.w", random);
    shard(
        Files.createDirectories(model.resolve("sub")).resolve("in2.safetensors"), "sub.w", random);
    Files.createSymbolicLink(model.resolve("link.safetensors"), outside.resolve("out.safetensors"));
    Files.createSymbolicLink(model.resolve("linkdir"), outside);
    Files.createDirectories(model.resolve("adir"));
    Files.writeString(model.resolve("config.json"), "{}");
    mkfifo(model.resolve("fifo.safetensors"));
    return model;
  }

  /** Shard names worth trying, relative to the model directory unless absolute. */
  static List<String> shardNames(Path model) {
    Path out = model.resolveSibling("outside").resolve("out.safetensors").toAbsolutePath();
    return List.of(
        "in.safetensors",
        "sub/in2.safetensors",
        "./in.safetensors",
        "sub/../in.safetensors",
        "../model/in.safetensors",
        "../outside/out.safetensors",
        "sub/../../outside/out.safetensors",
        out.toString(),
        "link.safetensors",
        "linkdir/out.safetensors",
        "fifo.safetensors",
        "adir",
        "sub",
        "config.json",
        "config.json/in.safetensors",
        "model.safetensors.index.json",
        "",
        ".",
        "..",
        "x".repeat(300) + ".safetensors",
        "in\u0000.safetensors",
        "in.safetensors\n",
        "missing.safetensors",
        "~/in.safetensors",
        "%2e%2e/outside/out.safetensors");
  }

  /** Writes {@code model.safetensors.index.json} with {@code weightMap}. */
  static void writeIndex(Path model, Map<String, String> weightMap) {
    String entries =
        weightMap.entrySet().stream()
            .map(e -> quote(e.getKey()) + ": " + quote(e.getValue()))
            .collect(Collectors.joining(", "));
    try {
      Files.writeString(
          model.resolve(CheckpointIndex.FILE_NAME), "{\"weight_map\": {" + entries + "}}");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String quote(String text) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      if (c == '"' || c == '\\' || c < 0x20) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"').toString();
  }

  private static void shard(Path file, String tensor, Random random) {
    float[] values = SafetensorsFixtures.randomFloats(random, 4);
    SafetensorsWriter.create()
        .tensor(tensor, DType.F32, List.of(4L), SafetensorsFixtures.source(values))
        .writeTo(file);
  }

  /** Creates a named pipe; where mkfifo is missing the name stays absent, a missing shard. */
  static boolean mkfifo(Path path) {
    try {
      return new ProcessBuilder("mkfifo", path.toString()).start().waitFor() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
