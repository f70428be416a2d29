package dev.sparkmoe.core.safetensors;

import static dev.sparkmoe.core.safetensors.SafetensorsFixtures.randomFloats;
import static dev.sparkmoe.core.safetensors.SafetensorsFixtures.rounded;
import static dev.sparkmoe.core.safetensors.SafetensorsFixtures.source;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.InvalidModelException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
  private static final String SHARD_1 = "model-00001-of-00002.safetensors";
  private static final String SHARD_2 = "model-00002-of-00002.safetensors";

  @TempDir Path root;
  private final Random random = new Random();
  private final Map<String, float[]> values = new LinkedHashMap<>();

  @Test
  void readsASingleFile() throws IOException {
    Path model = Files.createDirectory(root.resolve("model"));
    writeShard(model.resolve("model.safetensors"), "a", "b");

    try (Checkpoint checkpoint = Checkpoint.open(model)) {
      assertThat(checkpoint.directory()).isEqualTo(model);
      assertThat(checkpoint.tensorNames()).containsExactly("a", "b");
      assertThat(checkpoint.readFloats("a")).containsExactly(rounded(DType.BF16, values.get("a")));
      assertThat(checkpoint.tensor("b").shape()).containsExactly(3L, 4L);
    }
  }

  @Test
  void readsAShardedCheckpoint() throws IOException {
    Path model = shardedModel(Map.of("a", SHARD_1, "b", SHARD_1, "c", SHARD_2));

    try (Checkpoint checkpoint = Checkpoint.open(model)) {
      assertThat(checkpoint.tensorNames()).containsExactlyInAnyOrder("a", "b", "c");
      assertThat(checkpoint.contains("c")).isTrue();
      assertThat(checkpoint.contains("d")).isFalse();
      for (String name : List.of("a", "b", "c")) {
        assertThat(checkpoint.readFloats(name))
            .as(name)
            .containsExactly(rounded(DType.BF16, values.get(name)));
      }
      float[] slice = new float[4];
      checkpoint.readFloats("c", 5, slice, 1, 3);
      float[] expected = rounded(DType.BF16, values.get("c"));
      assertThat(slice).containsExactly(0f, expected[5], expected[6], expected[7]);
      assertThat(checkpoint.bytes("c").capacity()).isEqualTo(24);
      assertThatThrownBy(() -> checkpoint.tensor("d"))
          .isInstanceOf(InvalidModelException.class)
          .hasMessage("Cannot find tensor d in checkpoint " + model + ": no shard holds it");
    }
  }

  @Test
  void opensShardsLazily() throws IOException {
    Path model = shardedModel(Map.of("a", SHARD_1, "b", SHARD_1, "c", SHARD_2));
    Files.write(model.resolve(SHARD_2), new byte[] {1, 2, 3});

    try (Checkpoint checkpoint = Checkpoint.open(model)) {
      assertThat(checkpoint.readFloats("a")).containsExactly(rounded(DType.BF16, values.get("a")));
      assertThatThrownBy(() -> checkpoint.readFloats("c"))
          .isInstanceOf(InvalidModelException.class)
          .hasMessage(
              "Cannot read "
                  + model.resolve(SHARD_2)
                  + ": file size 3 is smaller than the 8-byte header length");
    }
  }

  @Test
  void readsConcurrently() throws Exception {
    Path model = shardedModel(Map.of("a", SHARD_1, "b", SHARD_1, "c", SHARD_2));
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try (Checkpoint checkpoint = Checkpoint.open(model)) {
      List<Future<float[]>> reads = new ArrayList<>();
      List<String> names = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        String name = List.of("a", "b", "c").get(i % 3);
        names.add(name);
        reads.add(pool.submit(() -> checkpoint.readFloats(name)));
      }
      for (int i = 0; i < reads.size(); i++) {
        assertThat(reads.get(i).get())
            .containsExactly(rounded(DType.BF16, values.get(names.get(i))));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void rejectsAShardLackingAnIndexedTensor() throws IOException {
    Path model = shardedModel(Map.of("a", SHARD_1, "b", SHARD_1, "c", SHARD_2));
    writeIndex(model, Map.of("a", SHARD_1, "b", SHARD_1, "c", SHARD_2, "d", SHARD_2));

    try (Checkpoint checkpoint = Checkpoint.open(model)) {
      assertThatThrownBy(() -> checkpoint.tensor("c"))
          .isInstanceOf(InvalidModelException.class)
          .hasMessage(
              "Cannot open shard %s of checkpoint %s: it lacks tensor d, which the index places there",
              SHARD_2, model);
    }
  }

  @Test
  void rejectsAShardHoldingTensorsTheIndexPlacesElsewhere() throws IOException {
    Path model = shardedModel(Map.of("a", SHARD_1, "b", SHARD_1, "c", SHARD_2));
    writeIndex(model, Map.of("a", SHARD_1, "b", SHARD_2, "c", SHARD_2));
    writeIndex(Files.createDirectory(root.resolve("unlisted")), Map.of("a", SHARD_1));
    Files.copy(model.resolve(SHARD_1), root.resolve("unlisted").resolve(SHARD_1));

    try (Checkpoint checkpoint = Checkpoint.open(model);
        Checkpoint unlisted = Checkpoint.open(root.resolve("unlisted"))) {
      assertThatThrownBy(() -> checkpoint.tensor("a"))
          .isInstanceOf(InvalidModelException.class)
          .hasMessage(
              "Cannot open shard %s of checkpoint %s: it holds tensor b but the index places it in shard %s",
              SHARD_1, model, SHARD_2);
      assertThatThrownBy(() -> unlisted.tensor("a"))
          .isInstanceOf(InvalidModelException.class)
          .hasMessage(
              "Cannot open shard %s of checkpoint %s: it holds tensor b but the index does not list it",
              SHARD_1, root.resolve("unlisted"));
    }
  }

  @Test
  void rejectsAMissingShard() throws IOException {
    Path model = shardedModel(Map.of("a", SHARD_1, "b", SHARD_1, "c", SHARD_2));
    Files.delete(model.resolve(SHARD_2));

    assertThatThrownBy(() -> Checkpoint.open(model))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage(
            "Cannot open checkpoint in %s: shard %s of tensor c does not exist", model, SHARD_2);
  }

  @Test
  void rejectsShardsOutsideTheModelDirectory() throws IOException {
    Path model = shardedModel(Map.of("a", SHARD_1, "b", SHARD_1, "c", SHARD_2));
    Path evil = root.resolve("evil.safetensors");
    Files.copy(model.resolve(SHARD_2), evil);
    Files.createSymbolicLink(model.resolve("link.safetensors"), evil);
    String expected =
        "Cannot open checkpoint in %s: weight_map entry c points to %s (expected: a file inside the model directory)";

    for (String shard : List.of("../evil.safetensors", evil.toString(), "link.safetensors")) {
      writeIndex(model, Map.of("a", SHARD_1, "b", SHARD_1, "c", shard));
      assertThatThrownBy(() -> Checkpoint.open(model))
          .as(shard)
          .isInstanceOf(InvalidModelException.class)
          .hasMessage(expected, model, shard);
    }
  }

  @Test
  void followsHuggingFaceHubCacheLinksIntoTheRepositorysBlobs() throws IOException {
    Path built = shardedModel(Map.of("a", SHARD_1, "b", SHARD_1, "c", SHARD_2));
    Path repo = root.resolve("models--org--tiny");
    Path blobs = Files.createDirectories(repo.resolve("blobs"));
    Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve("0123abcd"));
    for (String file : List.of(SHARD_1, SHARD_2, "model.safetensors.index.json")) {
      Path blob = Files.copy(built.resolve(file), blobs.resolve("sha-" + file.hashCode()));
      Files.createSymbolicLink(
          snapshot.resolve(file), Path.of("../../blobs").resolve(blob.getFileName()));
    }

    try (Checkpoint checkpoint = Checkpoint.open(snapshot)) {
      assertThat(checkpoint.tensorNames()).containsExactlyInAnyOrder("a", "b", "c");
    }
  }

  @Test
  void rejectsLinksOutOfAHubSnapshotThatAreNotItsBlobs() throws IOException {
    Path built = shardedModel(Map.of("a", SHARD_1, "b", SHARD_1, "c", SHARD_2));
    Path repo = root.resolve("models--org--tiny");
    Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve("0123abcd"));
    Files.copy(built.resolve(SHARD_1), snapshot.resolve(SHARD_1));
    Files.copy(
        built.resolve("model.safetensors.index.json"),
        snapshot.resolve("model.safetensors.index.json"));
    Path elsewhere = Files.copy(built.resolve(SHARD_2), repo.resolve("not-a-blob.safetensors"));
    Files.createSymbolicLink(snapshot.resolve(SHARD_2), elsewhere);

    assertThatThrownBy(() -> Checkpoint.open(snapshot))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage(
            "Cannot open checkpoint in %s: weight_map entry c points to %s (expected: a file inside"
                + " the model directory)",
            snapshot, SHARD_2);
  }

  @Test
  void rejectsAnIndexWithoutWeightMap() throws IOException {
    Path model = Files.createDirectory(root.resolve("model"));
    Files.writeString(model.resolve("model.safetensors.index.json"), "{\"metadata\": {}}");

    assertThatThrownBy(() -> Checkpoint.open(model))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage(
            "Cannot read %s: missing weight_map (expected: an object of tensor names to shard file names)",
            model.resolve("model.safetensors.index.json"));
  }

  @Test
  void rejectsADirectoryWithoutCheckpoint() throws IOException {
    Path model = Files.createDirectory(root.resolve("empty"));

    assertThatThrownBy(() -> Checkpoint.open(model))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage(
            "Cannot open checkpoint in %s: found neither model.safetensors nor model.safetensors.index.json",
            model);
    assertThatThrownBy(() -> Checkpoint.open(model.resolve("absent")))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage("Cannot open checkpoint in %s: not a directory", model.resolve("absent"));
  }

  @Test
  void refusesReadsAfterClose() throws IOException {
    Path model = shardedModel(Map.of("a", SHARD_1, "b", SHARD_1, "c", SHARD_2));
    Checkpoint checkpoint = Checkpoint.open(model);
    checkpoint.readFloats("a");
    checkpoint.close();

    assertThatThrownBy(() -> checkpoint.readFloats("c"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Cannot read tensor c in checkpoint %s: it is closed", model);
  }

  /**
   * A model directory with tensors a [2, 3], b [3, 4], c [12] in the shards {@code layout} names.
   */
  private Path shardedModel(Map<String, String> layout) throws IOException {
    Path model = Files.createDirectories(root.resolve("model"));
    Map<String, List<String>> tensorsByShard =
        layout.entrySet().stream()
            .collect(
                Collectors.groupingBy(
                    Map.Entry::getValue,
                    Collectors.mapping(Map.Entry::getKey, Collectors.toList())));
    tensorsByShard.forEach(
        (shard, names) ->
            writeShard(model.resolve(shard), names.stream().sorted().toArray(String[]::new)));
    writeIndex(model, layout);
    return model;
  }

  private void writeShard(Path file, String... names) {
    Map<String, List<Long>> shapes =
        Map.of("a", List.of(2L, 3L), "b", List.of(3L, 4L), "c", List.of(12L));
    SafetensorsWriter writer = SafetensorsWriter.create().metadata("format", "pt");
    for (String name : names) {
      List<Long> shape = shapes.get(name);
      float[] tensor = randomFloats(random, (int) TensorInfo.elementCount(shape));
      values.put(name, tensor);
      writer.tensor(name, DType.BF16, shape, source(tensor));
    }
    writer.writeTo(file);
  }

  private static void writeIndex(Path model, Map<String, String> weightMap) throws IOException {
    String entries =
        weightMap.entrySet().stream()
            .map(e -> String.format("\"%s\": \"%s\"", e.getKey(), e.getValue()))
            .collect(Collectors.joining(", "));
    String index = "{\"metadata\": {\"total_size\": 96}, \"weight_map\": {" + entries + "}}";
    Files.writeString(model.resolve("model.safetensors.index.json"), index);
  }
}
