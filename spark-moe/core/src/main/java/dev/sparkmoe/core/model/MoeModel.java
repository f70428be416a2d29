package dev.sparkmoe.core.model;

import dev.sparkmoe.core.safetensors.Checkpoint;
import java.io.Closeable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An opened model directory: its config and its checkpoint, validated against each other at open
 * time (every tensor's presence and shape, from the headers only). Weights are read on demand: a
 * token-owner reads {@link #loadDense()}, an expert slot reads only its {@link #loadExpert} bytes.
 *
 * <p>Thread-safe: loads may run concurrently. Closing releases the checkpoint's file mappings.
 */
public final class MoeModel implements Closeable {
  private final Path directory;
  private final ModelConfig config;
  private final WeightLayout layout;
  private final Checkpoint checkpoint;
  private final boolean[] attentionLayers;

  private MoeModel(Path directory, ModelConfig config, Checkpoint checkpoint, boolean[] attention) {
    this.directory = directory;
    this.config = config;
    this.layout = WeightLayout.of(config.architecture());
    this.checkpoint = checkpoint;
    this.attentionLayers = attention;
  }

  /**
   * Opens and validates {@code directory}.
   *
   * @throws dev.sparkmoe.core.InvalidModelException naming the file, key or tensor that is wrong
   */
  public static MoeModel open(Path directory) {
    ModelConfig config = ModelConfigReader.read(directory);
    Checkpoint checkpoint = Checkpoint.open(directory);
    try {
      boolean[] attention = new ModelValidator(config, checkpoint).validate();
      return new MoeModel(directory, config, checkpoint, attention);
    } catch (RuntimeException e) {
      checkpoint.close();
      throw e;
    }
  }

  public Path directory() {
    return directory;
  }

  public ModelConfig config() {
    return config;
  }

  /** Whether {@code layer} has attention (else it is a pure MoE layer). */
  public boolean hasAttention(int layer) {
    return attentionLayers[layer];
  }

  /** Reads and decodes all non-expert weights. */
  public DenseWeights loadDense() {
    List<LayerWeights> layers = new ArrayList<>(config.numLayers());
    for (int layer = 0; layer < config.numLayers(); layer++) {
      layers.add(loadLayer(layer));
    }
    float[] embedding = read(layout.embedTokens());
    float[] lmHead = config.tieWordEmbeddings() ? embedding : read(layout.lmHead());
    return new DenseWeights(embedding, List.copyOf(layers), read(layout.finalNorm()), lmHead);
  }

  /** Reads and decodes one expert's weights: only that expert's bytes are touched. */
  public ExpertWeights loadExpert(int layer, int expert) {
    int hidden = config.hiddenSize();
    int ffn = config.intermediateSize();
    float[] gateUp = new float[2 * ffn * hidden];
    int half = ffn * hidden;
    checkpoint.readFloats(layout.expertGate(layer, expert), 0, gateUp, 0, half);
    checkpoint.readFloats(layout.expertUp(layer, expert), 0, gateUp, half, half);
    float[] down = read(layout.expertDown(layer, expert));
    return new ExpertWeights(layer, expert, hidden, ffn, gateUp, down);
  }

  private LayerWeights loadLayer(int layer) {
    AttentionWeights attention = null;
    float[] inputNorm = null;
    if (attentionLayers[layer]) {
      inputNorm = read(layout.inputNorm(layer));
      attention =
          new AttentionWeights(
              read(layout.queryProj(layer)),
              read(layout.keyProj(layer)),
              read(layout.valueProj(layer)),
              read(layout.outputProj(layer)));
    }
    return new LayerWeights(
        inputNorm, attention, read(layout.postAttentionNorm(layer)), read(layout.router(layer)));
  }

  private float[] read(String tensor) {
    return checkpoint.readFloats(tensor);
  }

  @Override
  public void close() {
    checkpoint.close();
  }
}
