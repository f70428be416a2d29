package dev.sparkmoe.core.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Model files and input tables are data: a scan of every module's main sources finds no Java
 * deserialization and no JSON binding to classes the input could choose. On the model path (the
 * {@code model} and {@code safetensors} packages) JSON is read only into trees, by {@link
 * ModelJson}.
 *
 * <p>Allowed: Kryo serializers for the pipeline's own shuffle records (Spark serializes what our
 * tasks wrote, never what a user supplied).
 */
class NoDeserializationTest {
  /** Constructs that turn bytes into objects of a type the bytes name. */
  private static final List<String> FORBIDDEN =
      List.of(
          "ObjectInputStream",
          "readUnshared(",
          "XMLDecoder",
          "enableDefaultTyping",
          "activateDefaultTyping",
          "@JsonTypeInfo",
          "SerializationUtils.deserialize",
          "new Yaml(");

  /** Reading JSON: on the model path only {@link ModelJson} does, and into trees. */
  private static final List<String> JSON_READS =
      List.of(".readTree(", ".readValue(", ".treeToValue(", ".convertValue(");

  private static final Set<String> JSON_READERS = Set.of("ModelJson.java");

  private static final List<String> MODEL_PATH =
      List.of("/dev/sparkmoe/core/model/", "/dev/sparkmoe/core/safetensors/");

  /** Kryo serializers of the pipeline's shuffle records, written and read by our own tasks. */
  private static final Map<String, String> ALLOWED_READ_OBJECT =
      Map.of("OwnerStateSerializer.java", "kryo.readObject(");

  @Test
  void mainSourcesDeserializeNothing() {
    List<Path> sources = mainSources();
    List<String> findings = new ArrayList<>();
    for (Path source : sources) {
      String name = source.getFileName().toString();
      List<String> lines = lines(source);
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i);
        String where = source + ":" + (i + 1) + ": " + line.strip();
        FORBIDDEN.stream().filter(line::contains).forEach(p -> findings.add(where));
        if (line.contains("readObject(")
            && !line.contains(ALLOWED_READ_OBJECT.getOrDefault(name, "readObject("))) {
          findings.add(where);
        }
        if (onModelPath(source)
            && !JSON_READERS.contains(name)
            && JSON_READS.stream().anyMatch(line::contains)) {
          findings.add(where);
        }
      }
    }

    assertThat(sources).as("main sources scanned").hasSizeGreaterThan(50);
    assertThat(findings).as("deserialization in main sources").isEmpty();
  }

  private static boolean onModelPath(Path source) {
    return MODEL_PATH.stream().anyMatch(source.toString()::contains);
  }

  private static List<Path> mainSources() {
    Path modules = repositoryRoot().resolve("spark-moe");
    try (Stream<Path> files = Files.walk(modules)) {
      return files
          .filter(p -> p.toString().endsWith(".java"))
          .filter(p -> p.toString().contains("/src/main/java/"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path repositoryRoot() {
    String configured = System.getProperty("moe.root");
    Path start = Path.of(configured == null ? "" : configured).toAbsolutePath();
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("spark-moe/core/src/main/java"))) {
        return dir;
      }
    }
    throw new IllegalStateException("Cannot find the repository root above " + start);
  }

  private static List<String> lines(Path source) {
    try {
      return Files.readAllLines(source);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
