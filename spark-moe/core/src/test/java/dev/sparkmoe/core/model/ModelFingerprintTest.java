package dev.sparkmoe.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFingerprintTest {
  @TempDir Path temp;

  @Test
  void namesTheConfigAndEveryCheckpointFileOnly() throws IOException {
    Path model = ModelFixtures.tinyMixtral(temp.resolve("model"));
    Files.writeString(model.resolve("README.md"), "not part of the model");
    Files.writeString(model.resolve("model-00002-of-00002.safetensors"), "a shard");
    Files.writeString(model.resolve("model.safetensors.index.json"), "{}");
    ModelFingerprint fingerprint = ModelFingerprint.of(model);
    assertThat(fingerprint.directory()).isEqualTo(model);
    assertThat(fingerprint.files())
        .extracting(ModelFingerprint.FileStamp::name)
        .containsExactly(
            "config.json",
            "model-00002-of-00002.safetensors",
            "model.safetensors",
            "model.safetensors.index.json");
    assertThat(fingerprint.files().get(2).sizeBytes())
        .isEqualTo(Files.size(model.resolve("model.safetensors")));
  }

  @Test
  void anUnchangedModelHasTheSameFingerprint() {
    Path model = ModelFixtures.tinyMixtral(temp.resolve("model"));
    assertThat(ModelFingerprint.of(model)).isEqualTo(ModelFingerprint.of(model));
  }

  @Test
  void weightsRewrittenWithTheSameSizeGetANewStamp() {
    Path model = ModelFixtures.tinyMixtral(temp.resolve("model"));
    ModelFingerprint.FileStamp before = weights(ModelFingerprint.of(model));
    ModelFixtures.write(ModelFixtures.tiny().toBuilder().seed(7).build(), model);
    ModelFingerprint.FileStamp after = weights(ModelFingerprint.of(model));
    assertThat(after.sizeBytes()).as("same shapes, same size").isEqualTo(before.sizeBytes());
    assertThat(after).as("the modification time differs").isNotEqualTo(before);
  }

  @Test
  void aTouchedShardChangesTheFingerprint() throws IOException {
    Path model = ModelFixtures.tinyMixtral(temp.resolve("model"));
    ModelFingerprint before = ModelFingerprint.of(model);
    Path weights = model.resolve("model.safetensors");
    Instant modified = Files.getLastModifiedTime(weights).toInstant();
    Files.setLastModifiedTime(weights, FileTime.from(modified.plusSeconds(1)));
    assertThat(ModelFingerprint.of(model)).isNotEqualTo(before);
  }

  @Test
  void aMissingDirectoryHasNoFiles() {
    Path missing = temp.resolve("missing");
    assertThat(ModelFingerprint.of(missing).files()).isEmpty();
  }

  private static ModelFingerprint.FileStamp weights(ModelFingerprint fingerprint) {
    return fingerprint.files().stream()
        .filter(file -> file.name().equals("model.safetensors"))
        .findFirst()
        .orElseThrow();
  }
}
