package dev.sparkmoe.core.generate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmoe.core.IoErrors;
import dev.sparkmoe.core.model.Architecture;
import dev.sparkmoe.core.model.WeightLayout;
import dev.sparkmoe.core.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a deterministic synthetic checkpoint in the Mixtral layout: {@code config.json} and {@code
 * model.safetensors}, streamed (a 1.3 GB model is never held in memory). The same spec gives the
 * same bytes.
 *
 * <p>Weights are uniform with the variance that keeps activations of order one (1/fan-in). The
 * router is made uneven on purpose, as trained routers are: every embedding shares a common
 * direction, and each expert's router row has its own gain and its own bias along that direction,
 * so some experts are chosen far more than others.
 */
public final class ModelGenerator {
  private static final float SQRT3 = (float) Math.sqrt(3);
  private static final String SHARED_DIRECTION = "shared-direction";

  /** How much of every embedding is the shared direction; more makes routing more skewed. */
  private static final float SHARED_WEIGHT = 0.3f;

  private final ModelSpec spec;
  private final WeightLayout layout = WeightLayout.of(Architecture.MIXTRAL);

  public ModelGenerator(ModelSpec spec) {
    this.spec = spec;
  }

  /**
   * Writes the model into {@code directory} (created if needed; existing model files are replaced).
   */
  public void writeTo(Path directory) {
    try {
      Files.createDirectories(directory);
      Files.writeString(directory.resolve("config.json"), configJson());
    } catch (IOException e) {
      throw IoErrors.cannot("write model to " + directory, e);
    }
    SafetensorsWriter writer = SafetensorsWriter.create().metadata("format", "pt");
    int h = spec.hidden();
    uniform(writer, layout.embedTokens(), spec.embeddingStd(), spec.vocab(), h);
    for (int layer = 0; layer < spec.layers(); layer++) {
      addLayer(writer, layer);
    }
    norm(writer, layout.finalNorm());
    if (!spec.tieEmbeddings()) {
      uniform(writer, layout.lmHead(), 1 / Math.sqrt(h), spec.vocab(), h);
    }
    writer.writeTo(directory.resolve("model.safetensors"));
  }

  private void addLayer(SafetensorsWriter writer, int layer) {
    int h = spec.hidden();
    int q = spec.heads() * spec.headDim();
    int kv = spec.kvHeads() * spec.headDim();
    if (spec.attention()) {
      norm(writer, layout.inputNorm(layer));
      uniform(writer, layout.queryProj(layer), 1 / Math.sqrt(h), q, h);
      uniform(writer, layout.keyProj(layer), 1 / Math.sqrt(h), kv, h);
      uniform(writer, layout.valueProj(layer), 1 / Math.sqrt(h), kv, h);
      uniform(writer, layout.outputProj(layer), 1 / Math.sqrt(q), h, q);
    }
    norm(writer, layout.postAttentionNorm(layer));
    router(writer, layout.router(layer));
    for (int expert = 0; expert < spec.experts(); expert++) {
      uniform(writer, layout.expertGate(layer, expert), 1 / Math.sqrt(h), spec.ffn(), h);
      uniform(writer, layout.expertUp(layer, expert), 1 / Math.sqrt(h), spec.ffn(), h);
      uniform(writer, layout.expertDown(layer, expert), 1 / Math.sqrt(spec.ffn()), h, spec.ffn());
    }
  }

  private void uniform(SafetensorsWriter writer, String name, double std, long rows, long cols) {
    long stream = CounterRandom.stream(spec.seed(), name);
    long shared = CounterRandom.stream(spec.seed(), SHARED_DIRECTION);
    boolean embedding = name.equals(layout.embedTokens());
    float scale = (float) std * SQRT3;
    writer.tensor(
        name,
        spec.dtype(),
        List.of(rows, cols),
        (start, dst, count) -> {
          for (int i = 0; i < count; i++) {
            long index = start + i;
            float value = scale * CounterRandom.symmetric(stream, index);
            if (embedding) {
              value += SHARED_WEIGHT * scale * CounterRandom.symmetric(shared, index % cols);
            }
            dst[i] = value;
          }
        });
  }

  /**
   * Router rows: a per-expert gain on a random row, plus a per-expert bias along the shared
   * direction.
   */
  private void router(SafetensorsWriter writer, String name) {
    long stream = CounterRandom.stream(spec.seed(), name);
    long shared = CounterRandom.stream(spec.seed(), SHARED_DIRECTION);
    long perExpert = CounterRandom.stream(spec.seed(), name + "/gain");
    int h = spec.hidden();
    float scale = (float) (2 / Math.sqrt(h)) * SQRT3;
    writer.tensor(
        name,
        spec.dtype(),
        List.of((long) spec.experts(), (long) h),
        (start, dst, count) -> {
          for (int i = 0; i < count; i++) {
            long index = start + i;
            long expert = index / h;
            float gain = 1f + 0.5f * CounterRandom.symmetric(perExpert, 2 * expert);
            float bias =
                CounterRandom.symmetric(perExpert, 2 * expert + 1)
                    + (expert == 0 ? spec.routerSkew() : 0f);
            dst[i] =
                scale
                    * (gain * CounterRandom.symmetric(stream, index)
                        + bias * CounterRandom.symmetric(shared, index % h));
          }
        });
  }

  private void norm(SafetensorsWriter writer, String name) {
    long stream = CounterRandom.stream(spec.seed(), name);
    writer.tensor(
        name,
        spec.dtype(),
        List.of((long) spec.hidden()),
        (start, dst, count) -> {
          for (int i = 0; i < count; i++) {
            dst[i] = 1f + 0.1f * CounterRandom.symmetric(stream, start + i);
          }
        });
  }

  String configJson() throws IOException {
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode config = mapper.createObjectNode();
    config.putArray("architectures").add(Architecture.MIXTRAL.className());
    config.put("model_type", Architecture.MIXTRAL.modelType());
    config.put("hidden_size", spec.hidden());
    config.put("intermediate_size", spec.ffn());
    config.put("num_hidden_layers", spec.layers());
    config.put("num_attention_heads", spec.heads());
    config.put("num_key_value_heads", spec.kvHeads());
    config.put("head_dim", spec.headDim());
    config.put("num_local_experts", spec.experts());
    config.put("num_experts_per_tok", spec.topK());
    config.put("vocab_size", spec.vocab());
    config.put("max_position_embeddings", spec.maxPositions());
    config.put("rms_norm_eps", 1e-5);
    config.put("rope_theta", 1e6);
    config.putNull("sliding_window");
    config.put("tie_word_embeddings", spec.tieEmbeddings());
    config.put("hidden_act", "silu");
    config.put("attention_dropout", 0.0);
    config.put("router_aux_loss_coef", 0.0);
    config.put("torch_dtype", torchDtype());
    config.put("spark_moe_generator_seed", spec.seed());
    return mapper.writeValueAsString(config) + "\n";
  }

  private String torchDtype() {
    return switch (spec.dtype()) {
      case F32 -> "float32";
      case F16 -> "float16";
      case BF16 -> "bfloat16";
    };
  }
}
