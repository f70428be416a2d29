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

  /** Reads and decodes all non-expert weights to f32. */
  public DenseWeights loadDense() {
    return loadDense(null);
  }

  /**
   * Reads all non-expert weights, the attention projections as bfloat16 bits handed to {@code
   * packer} (a {@code BF16} checkpoint's bits as they are, {@code F16} and {@code F32} rounded
   * once) and kept only in the form it returns; everything else decoded to f32. The caller owns the
   * result and closes it ({@link DenseWeights#close()}).
   */
  public DenseWeights loadDensePacked(PackedMatrix.Packer packer) {
    return loadDense(java.util.Objects.requireNonNull(packer, "packer"));
  }

  /** {@code packer} null: f32 projections. */
  private DenseWeights loadDense(PackedMatrix.Packer packer) {
    List<LayerWeights> layers = new ArrayList<>(config.numLayers());
    try {
      for (int layer = 0; layer < config.numLayers(); layer++) {
        layers.add(loadLayer(layer, packer));
      }
      float[] embedding = read(layout.embedTokens());
      float[] lmHead = config.tieWordEmbeddings() ? embedding : read(layout.lmHead());
      return new DenseWeights(embedding, List.copyOf(layers), read(layout.finalNorm()), lmHead);
    } catch (RuntimeException e) {
      new DenseWeights(null, layers, null, null).close();
      throw e;
    }
  }

  /**
   * Reads and decodes one expert's weights: only that expert's bytes are touched.
   *
   * @throws IllegalArgumentException if {@code layer} is a dense layer, which has no experts
   */
  public ExpertWeights loadExpert(int layer, int expert) {
    if (!config.isMoeLayer(layer)) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot load expert %d of layer %d: layer %d is a dense MLP layer (dense layers: %s)",
              expert, layer, layer, config.feedForward().denseLayers()));
    }
    int hidden = config.hiddenSize();
    int ffn = config.intermediateSize();
    float[] gateUp = new float[2 * ffn * hidden];
    int half = ffn * hidden;
    checkpoint.readFloats(layout.expertGate(layer, expert), 0, gateUp, 0, half);
    checkpoint.readFloats(layout.expertUp(layer, expert), 0, gateUp, half, half);
    float[] down = read(layout.expertDown(layer, expert));
    return new ExpertWeights(layer, expert, hidden, ffn, gateUp, down);
  }

  /**
   * Reads one expert's weights as bfloat16 bits, for a backend that computes in bf16: a {@code
   * BF16} checkpoint's bytes as they are, {@code F16} and {@code F32} rounded once. Only that
   * expert's bytes are touched.
   *
   * @throws IllegalArgumentException if {@code layer} is a dense layer, which has no experts
   */
  public Bf16ExpertWeights loadExpertBf16(int layer, int expert) {
    loadExpertCheck(layer, expert);
    int hidden = config.hiddenSize();
    int ffn = config.intermediateSize();
    int half = ffn * hidden;
    short[] gateUp = new short[2 * half];
    readBf16(layout.expertGate(layer, expert), gateUp, 0, half);
    readBf16(layout.expertUp(layer, expert), gateUp, half, half);
    short[] down = new short[half];
    readBf16(layout.expertDown(layer, expert), down, 0, half);
    return new Bf16ExpertWeights(layer, expert, hidden, ffn, gateUp, down);
  }

  private void readBf16(String tensor, short[] dst, int offset, int count) {
    checkpoint.tensor(tensor).dtype().toBf16Bits(checkpoint.bytes(tensor), dst, offset, count);
  }

  /**
   * Reads one tensor-parallel shard of an expert: of {@code shards} slices of the FFN width, slice
   * {@code shard} covers units {@code [shard·ffn/shards, (shard+1)·ffn/shards)} — those rows of the
   * gate and up projections and those columns of the down projection. Only the slice's bytes are
   * read. Computing every shard and summing the outputs gives the expert's output (up to rounding:
   * the down projection's sum over the FFN width is split into partial sums).
   *
   * @throws IllegalArgumentException for a dense layer, or a shard outside {@code [0, shards)}, or
   *     more shards than FFN units
   */
  public ExpertWeights loadExpertShard(int layer, int expert, int shard, int shards) {
    int ffn = config.intermediateSize();
    if (shards < 1 || shards > ffn || shard < 0 || shard >= shards) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid expert shard: %d of %d (expected: 0 <= shard < shards <= %d, the FFN width)",
              shard, shards, ffn));
    }
    if (shards == 1) {
      return loadExpert(layer, expert);
    }
    loadExpertCheck(layer, expert);
    int hidden = config.hiddenSize();
    int from = (int) ((long) shard * ffn / shards);
    int width = (int) ((long) (shard + 1) * ffn / shards) - from;
    float[] gateUp = new float[2 * width * hidden];
    int half = width * hidden;
    checkpoint.readFloats(layout.expertGate(layer, expert), (long) from * hidden, gateUp, 0, half);
    checkpoint.readFloats(layout.expertUp(layer, expert), (long) from * hidden, gateUp, half, half);
    float[] down = new float[hidden * width];
    String downName = layout.expertDown(layer, expert);
    for (int row = 0; row < hidden; row++) {
      checkpoint.readFloats(downName, (long) row * ffn + from, down, row * width, width);
    }
    return new ExpertWeights(layer, expert, hidden, width, gateUp, down);
  }

  private void loadExpertCheck(int layer, int expert) {
    if (!config.isMoeLayer(layer)) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot load expert %d of layer %d: layer %d is a dense MLP layer (dense layers: %s)",
              expert, layer, layer, config.feedForward().denseLayers()));
    }
  }

  private LayerWeights loadLayer(int layer, PackedMatrix.Packer packer) {
    AttentionWeights attention = null;
    float[] inputNorm = null;
    if (attentionLayers[layer]) {
      inputNorm = read(layout.inputNorm(layer));
      attention = packer == null ? loadAttention(layer) : loadPackedAttention(layer, packer);
    }
    float[] postNorm = read(layout.postAttentionNorm(layer));
    if (!config.isMoeLayer(layer)) {
      MlpWeights mlp =
          loadMlp(layout.denseMlp(layer), config.feedForward().denseIntermediateSize());
      return new LayerWeights(inputNorm, attention, postNorm, null, mlp);
    }
    FeedForwardSpec feedForward = config.feedForward();
    MoeWeights moe =
        new MoeWeights(
            read(layout.router(layer)),
            config.router().usesCorrectionBias() ? read(layout.routerCorrectionBias(layer)) : null,
            feedForward.hasSharedExpert()
                ? loadMlp(layout.sharedExpert(layer), feedForward.sharedExpertSize())
                : null,
            feedForward.sharedExpertGate() ? read(layout.sharedExpertGate(layer)) : null);
    return new LayerWeights(inputNorm, attention, postNorm, moe, null);
  }

  private AttentionWeights loadAttention(int layer) {
    return attentionExtras(
        layer,
        read(layout.queryProj(layer)),
        read(layout.keyProj(layer)),
        read(layout.valueProj(layer)),
        read(layout.outputProj(layer)));
  }

  private AttentionWeights loadPackedAttention(int layer, PackedMatrix.Packer packer) {
    List<PackedMatrix> packed = new ArrayList<>(4);
    try {
      for (String name :
          List.of(
              layout.queryProj(layer),
              layout.keyProj(layer),
              layout.valueProj(layer),
              layout.outputProj(layer))) {
        packed.add(pack(name, packer));
      }
      PackedProjections projections =
          new PackedProjections(packed.get(0), packed.get(1), packed.get(2), packed.get(3));
      return attentionExtras(layer, null, null, null, null).withPacked(projections);
    } catch (RuntimeException e) {
      packed.forEach(PackedMatrix::close);
      throw e;
    }
  }

  private PackedMatrix pack(String tensor, PackedMatrix.Packer packer) {
    // The validator checked the shape against the config at open time.
    List<Long> shape = checkpoint.tensor(tensor).shape();
    int rows = Math.toIntExact(shape.get(0));
    int cols = Math.toIntExact(shape.get(1));
    short[] bits = new short[rows * cols];
    readBf16(tensor, bits, 0, bits.length);
    return packer.pack(bits, 0, rows, cols);
  }

  /** The f32 projections given (null when packed), with the layer's biases and norms. */
  private AttentionWeights attentionExtras(
      int layer, float[] query, float[] key, float[] value, float[] output) {
    AttentionSpec spec = config.attention();
    boolean norms = spec.qkNorm() != AttentionSpec.QkNorm.NONE;
    return new AttentionWeights(
        query,
        key,
        value,
        output,
        spec.qkvBias() ? readBias(layout.queryProj(layer)) : null,
        spec.qkvBias() ? readBias(layout.keyProj(layer)) : null,
        spec.qkvBias() ? readBias(layout.valueProj(layer)) : null,
        spec.outputBias() ? readBias(layout.outputProj(layer)) : null,
        norms ? read(layout.queryNorm(layer)) : null,
        norms ? read(layout.keyNorm(layer)) : null);
  }

  /** An MLP under {@code prefix}, its gate and up projections fused as an expert's are. */
  private MlpWeights loadMlp(String prefix, int ffn) {
    int hidden = config.hiddenSize();
    int half = ffn * hidden;
    float[] gateUp = new float[2 * half];
    checkpoint.readFloats(prefix + "gate_proj.weight", 0, gateUp, 0, half);
    checkpoint.readFloats(prefix + "up_proj.weight", 0, gateUp, half, half);
    return new MlpWeights(hidden, ffn, gateUp, read(prefix + "down_proj.weight"));
  }

  private float[] readBias(String weight) {
    return read(WeightLayout.bias(weight));
  }

  private float[] read(String tensor) {
    return checkpoint.readFloats(tensor);
  }

  @Override
  public void close() {
    checkpoint.close();
  }
}
