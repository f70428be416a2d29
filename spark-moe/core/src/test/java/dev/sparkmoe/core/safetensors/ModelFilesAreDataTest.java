package dev.sparkmoe.core.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sparkmoe.core.InvalidModelException;
import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.core.model.MoeModel;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model files are data, never code: read into plain values with bounded sizes, from paths that stay
 * inside the model directory. The source scan that no Java deserialization reaches them is {@link
 * NoDeserializationTest}.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ModelFilesAreDataTest {
  private static final long MAX_CONFIG_BYTES = 1L << 20;

  @TempDir Path root;

  @Test
  void configOverOneMebibyteIsRejectedUnread() throws IOException {
    Path model = ModelFixtures.tinyMixtral(root.resolve("model"));
    Path config = model.resolve("config.json");
    try (RandomAccessFile sparse = new RandomAccessFile(config.toFile(), "rw")) {
      sparse.setLength(MAX_CONFIG_BYTES + 1); // zeros after the JSON: unreadable if it were read
    }

    assertThatThrownBy(() -> MoeModel.open(model))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage(
            "Cannot read %s: 1048577 bytes is over the 1048576-byte limit for a config", config);
  }

  @Test
  void configOfExactlyOneMebibyteLoads() throws IOException {
    Path model = ModelFixtures.tinyMixtral(root.resolve("model"));
    Path config = model.resolve("config.json");
    String json = Files.readString(config);
    Files.writeString(config, json + " ".repeat((int) MAX_CONFIG_BYTES - json.length()));

    try (MoeModel opened = MoeModel.open(model)) {
      assertThat(Files.size(config)).isEqualTo(MAX_CONFIG_BYTES);
      assertThat(opened.config().numExperts()).isEqualTo(ModelFixtures.tiny().experts());
    }
  }

  @Test
  void indexOverTheHeaderLimitIsRejectedUnread() throws IOException {
    Path model = Files.createDirectories(root.resolve("model"));
    Path index = model.resolve(CheckpointIndex.FILE_NAME);
    try (RandomAccessFile sparse = new RandomAccessFile(index.toFile(), "rw")) {
      sparse.setLength(SafetensorsHeader.MAX_HEADER_BYTES + 1);
    }

    assertThatThrownBy(() -> Checkpoint.open(model))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage("Cannot read %s: its 100000001 bytes exceed the limit of 100000000", index);
  }

  @Test
  void weightMapCannotEscapeThroughDotsLinkedFoldersOrOddNames() throws IOException {
    Path model = HostileModelDirectory.create(root);
    String escapes =
        "Cannot open checkpoint in %s: weight_map entry in.w points to %s (expected: a file inside"
            + " the model directory)";

    for (String shard :
        new String[] {
          "sub/../../outside/out.safetensors", "linkdir/out.safetensors", "", ".", "..", "in\0x"
        }) {
      HostileModelDirectory.writeIndex(model, Map.of("in.w", shard));
      assertThatThrownBy(() -> Checkpoint.open(model))
          .as("shard %s", shard)
          .isInstanceOf(InvalidModelException.class)
          .hasMessage(escapes, model, Printable.of(shard));
    }
  }

  @Test
  void shardPathsThatAreNotFilesAreNamed() throws IOException {
    Path model = HostileModelDirectory.create(root);

    HostileModelDirectory.writeIndex(model, Map.of("in.w", "config.json/in.safetensors"));
    assertThatThrownBy(() -> Checkpoint.open(model))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage(
            "Cannot open checkpoint in %s: shard config.json/in.safetensors of tensor in.w cannot"
                + " be opened (Not a directory)",
            model);
    HostileModelDirectory.writeIndex(model, Map.of("in.w", "adir"));
    assertThatThrownBy(() -> readTensor(model, "in.w"))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage(
            "Cannot open %s: not a regular file (expected: a safetensors file)",
            model.resolve("adir"));
  }

  @Test
  void aFifoShardIsRejectedWithoutBlocking() throws IOException {
    Path model = HostileModelDirectory.create(root);
    assumeTrue(Files.exists(model.resolve("fifo.safetensors")), "mkfifo is available");
    HostileModelDirectory.writeIndex(model, Map.of("in.w", "fifo.safetensors"));

    assertThatThrownBy(() -> readTensor(model, "in.w"))
        .isInstanceOf(InvalidModelException.class)
        .hasMessage(
            "Cannot open %s: not a regular file (expected: a safetensors file)",
            model.resolve("fifo.safetensors"));
  }

  @Test
  void aModelDirectoryReachedThroughALinkStillLoads() throws IOException {
    Path model = HostileModelDirectory.create(root);
    Path link = Files.createSymbolicLink(root.resolve("model-link"), model);
    HostileModelDirectory.writeIndex(
        model, Map.of("in.w", "in.safetensors", "sub.w", "sub/in2.safetensors"));

    try (Checkpoint checkpoint = Checkpoint.open(link)) {
      assertThat(checkpoint.readFloats("sub.w")).hasSize(4);
      assertThat(checkpoint.readFloats("in.w")).hasSize(4);
    }
  }

  private static float[] readTensor(Path model, String tensor) {
    try (Checkpoint checkpoint = Checkpoint.open(model)) {
      return checkpoint.readFloats(tensor);
    }
  }
}
