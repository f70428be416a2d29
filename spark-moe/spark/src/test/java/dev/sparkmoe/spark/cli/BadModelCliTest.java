package dev.sparkmoe.spark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.core.safetensors.TensorInfo;
import dev.sparkmoe.spark.SparkTestSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code moe infer} on broken models: each case fails before any task with exit code 1, one line
 * naming the file, key or tensor and what was expected, and no output.
 */
class BadModelCliTest {
  private static final String EXPERT_W2 = "model.layers.1.block_sparse_moe.experts.7.w2.weight";

  @TempDir static Path temp;
  private static SparkSession spark;
  private static BrokenModels models;
  private static Path input;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.start("BadModelCliTest");
    models = new BrokenModels(ModelFixtures.tinyMixtral(temp.resolve("tiny")), temp);
    input = temp.resolve("tokens.json");
    BrokenModels.writeString(input, "{\"id\": 1, \"tokens\": [5, 6, 7]}\n");
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  @Test
  void missingDirectory() {
    Path model = temp.resolve("absent");

    infer(model, "missing-dir")
        .assertFailed(
            "Cannot load model "
                + model
                + ": not a directory (expected: a folder with config.json and model.safetensors)",
            out("missing-dir"));
  }

  @Test
  void missingConfig() throws Exception {
    Path model = models.copy("no-config");
    Files.delete(model.resolve("config.json"));

    infer(model, "no-config")
        .assertFailed(
            "Cannot load model "
                + model
                + ": config.json is missing (expected: the model's Hugging Face config.json in"
                + " that folder)",
            out("no-config"));
  }

  @Test
  void missingWeights() throws Exception {
    Path model = models.copy("no-weights");
    Files.delete(model.resolve(BrokenModels.WEIGHTS));

    infer(model, "no-weights")
        .assertFailed(
            "Cannot open checkpoint in "
                + model
                + ": found neither model.safetensors nor model.safetensors.index.json",
            out("no-weights"));
  }

  @Test
  void unsupportedArchitecture() {
    Path model = models.copy("llama");
    BrokenModels.editConfig(
        model, config -> config.putArray("architectures").add("LlamaForCausalLM"));

    infer(model, "llama")
        .assertFailedStartingWith(
            "Invalid architecture LlamaForCausalLM in "
                + model.resolve("config.json")
                + " (expected: one of MixtralForCausalLM",
            out("llama"),
            "ForCausalLM)");
  }

  @Test
  void namesFromTheModelCannotSplitOrRestyleTheLine() {
    Path model = models.copy("escapes");
    BrokenModels.editConfig(
        model, config -> config.putArray("architectures").add("Evil\nLine\u001b[2J"));

    infer(model, "escapes")
        .assertFailedStartingWith(
            "Invalid architecture Evil Line\\u001b[2J in "
                + model.resolve("config.json")
                + " (expected: one of MixtralForCausalLM",
            out("escapes"));
  }

  @Test
  void missingConfigKey() {
    Path model = models.copy("no-experts-key");
    BrokenModels.editConfig(model, config -> config.remove("num_local_experts"));

    infer(model, "no-experts-key")
        .assertFailed(
            "Cannot read "
                + model.resolve("config.json")
                + ": missing key num_local_experts (expected: a positive integer)",
            out("no-experts-key"));
  }

  @Test
  void truncatedInTheHeader() {
    Path model = models.copy("cut-header");
    long length = 8 + models.headerLength() / 2;
    BrokenModels.setLength(model, length);

    infer(model, "cut-header")
        .assertFailed(
            String.format(
                "Cannot read %s: header length %d exceeds the file size %d (expected: at most %d)",
                weights(model), models.headerLength(), length, length - 8),
            out("cut-header"));
  }

  @Test
  void truncatedInTheData() {
    Path model = models.copy("cut-data");
    TensorInfo last = lastTensor();
    long dataSize = last.endOffset() - 100;
    BrokenModels.setLength(model, 8 + models.headerLength() + dataSize);

    infer(model, "cut-data")
        .assertFailed(
            String.format(
                "Cannot read tensor %s in %s: data_offsets [%d, %d] extend past the end of the"
                    + " data section of %d bytes",
                last.name(), weights(model), last.beginOffset(), last.endOffset(), dataSize),
            out("cut-data"));
  }

  @Test
  void headerLengthZero() {
    Path model = models.copy("zero-header");
    BrokenModels.setHeaderLength(model, 0);

    infer(model, "zero-header")
        .assertFailed(
            "Cannot read "
                + weights(model)
                + ": invalid header length 0 (expected: 2 <= length <= 100000000)",
            out("zero-header"));
  }

  @Test
  void headerLengthOverTheLimit() {
    Path model = models.copy("huge-header");
    BrokenModels.setHeaderLength(model, 100_000_001L);
    BrokenModels.setLength(model, 200_000_000L); // sparse: a reader that read it would be slow

    infer(model, "huge-header")
        .assertFailed(
            "Cannot read "
                + weights(model)
                + ": invalid header length 100000001 (expected: 2 <= length <= 100000000)",
            out("huge-header"));
  }

  @Test
  void headerLengthBeyondTheFile() throws Exception {
    Path model = models.copy("beyond-header");
    long size = Files.size(model.resolve(BrokenModels.WEIGHTS));
    BrokenModels.setHeaderLength(model, size);

    infer(model, "beyond-header")
        .assertFailed(
            String.format(
                "Cannot read %s: header length %d exceeds the file size %d (expected: at most %d)",
                weights(model), size, size, size - 8),
            out("beyond-header"));
  }

  @Test
  void headerNotJson() {
    Path model = models.copy("not-json");
    BrokenModels.overwrite(model, /* position= */ 8, (byte) 'x'); // the header's opening brace

    infer(model, "not-json")
        .assertFailed(
            "Cannot read "
                + weights(model)
                + ": header is not valid JSON: Unrecognized token 'x': was expecting (JSON String,"
                + " Number, Array, Object or token 'null', 'true' or 'false')",
            out("not-json"));
  }

  @Test
  void offsetsOverlapping() {
    Path model = models.copy("overlap");
    TensorInfo last = lastTensor();
    BrokenModels.editHeader(model, header -> shift(header, last, -4), 0);

    infer(model, "overlap")
        .assertFailed(
            String.format(
                "Cannot read tensor %s in %s: data_offsets [%d, %d] overlap the previous tensor"
                    + " ending at %d",
                last.name(),
                weights(model),
                last.beginOffset() - 4,
                last.endOffset() - 4,
                last.beginOffset()),
            out("overlap"));
  }

  @Test
  void offsetsWithAHole() {
    Path model = models.copy("hole");
    TensorInfo last = lastTensor();
    BrokenModels.editHeader(model, header -> shift(header, last, 4), 4);

    infer(model, "hole")
        .assertFailed(
            String.format(
                "Cannot read tensor %s in %s: data_offsets [%d, %d] leave a hole after the"
                    + " previous tensor ending at %d",
                last.name(),
                weights(model),
                last.beginOffset() + 4,
                last.endOffset() + 4,
                last.beginOffset()),
            out("hole"));
  }

  @Test
  void offsetsPastTheEnd() {
    Path model = models.copy("past-end");
    TensorInfo last = lastTensor();
    BrokenModels.editHeader(model, header -> shift(header, last, 8), 0);

    infer(model, "past-end")
        .assertFailed(
            String.format(
                "Cannot read tensor %s in %s: data_offsets [%d, %d] extend past the end of the"
                    + " data section of %d bytes",
                last.name(),
                weights(model),
                last.beginOffset() + 8,
                last.endOffset() + 8,
                last.endOffset()),
            out("past-end"));
  }

  @Test
  void unknownDtype() {
    Path model = models.copy("f64");
    BrokenModels.editHeader(
        model, header -> ((ObjectNode) header.get(EXPERT_W2)).put("dtype", "F64"), 0);

    infer(model, "f64")
        .assertFailed(
            String.format(
                "Invalid dtype F64 for tensor %s in %s (expected: one of F32, F16, BF16)",
                EXPERT_W2, weights(model)),
            out("f64"));
  }

  @Test
  void tensorShapeDisagreesWithTheConfig() {
    Path model = models.copy("ffn-95");
    BrokenModels.editConfig(model, config -> config.put("intermediate_size", 95));

    infer(model, "ffn-95")
        .assertFailed(
            "Cannot load expert tensor model.layers.0.block_sparse_moe.experts.0.w1.weight: shape"
                + " [96, 64] does not match config (expected: [95, 64])",
            out("ffn-95"));
  }

  @Test
  void missingExpertTensor() {
    Path model = models.copy("no-expert");
    BrokenModels.dropTensor(model, EXPERT_W2);

    infer(model, "no-expert")
        .assertFailed(
            String.format(
                "Cannot load expert tensor %s: missing from checkpoint %s (expected shape: [64,"
                    + " 96])",
                EXPERT_W2, model),
            out("no-expert"));
  }

  @Test
  void indexPointingToAMissingShard() {
    Path model = models.copy("sharded");
    String shard = "model-00002-of-00002.safetensors";
    BrokenModels.writeString(
        model.resolve("model.safetensors.index.json"),
        "{\"weight_map\": {\"model.embed_tokens.weight\": \"" + shard + "\"}}");

    infer(model, "sharded")
        .assertFailed(
            String.format(
                "Cannot open checkpoint in %s: shard %s of tensor model.embed_tokens.weight does"
                    + " not exist",
                model, shard),
            out("sharded"));
  }

  private static CliRun infer(Path model, String name) {
    return CliRun.infer(model, input, out(name));
  }

  private static Path out(String name) {
    return temp.resolve("out-" + name);
  }

  private static Path weights(Path model) {
    return model.resolve(BrokenModels.WEIGHTS);
  }

  private static TensorInfo lastTensor() {
    List<TensorInfo> tensors = models.tensors();
    TensorInfo last = tensors.get(tensors.size() - 1);
    assertThat(last.sizeBytes()).as("the last tensor spans more than 100 bytes").isGreaterThan(100);
    return last;
  }

  /** Moves {@code tensor}'s data_offsets by {@code delta} bytes. */
  private static void shift(ObjectNode header, TensorInfo tensor, long delta) {
    ArrayNode offsets = ((ObjectNode) header.get(tensor.name())).putArray("data_offsets");
    offsets.add(tensor.beginOffset() + delta).add(tensor.endOffset() + delta);
  }
}
