package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.balance.HotExpertReplicas;
import dev.sparkmoe.core.config.MoeOption;
import dev.sparkmoe.core.config.MoeOptions;
import dev.sparkmoe.core.forward.OutputKind;
import dev.sparkmoe.core.placement.PlacementPolicy;
import dev.sparkmoe.core.text.TextTokenizer;
import dev.sparkmoe.spark.config.SessionOptions;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * The public entry point: expert-parallel inference over a tokenized table.
 *
 * <pre>{@code
 * Dataset<Row> out = MoeInference.of("/models/m").idColumn("id").tokensColumn("tokens")
 *     .kind("embedding").placement("shared-layers").transform(df);
 * }</pre>
 *
 * <p>Immutable: every setter returns a new instance. Settings not given here come from the session
 * conf ({@code spark.moe.<key>}), then from defaults. Each setter is also reachable by its key
 * through {@link #option(String, String)}, which SQL and DataSource options use. Plain Java types
 * only, so Scala and PySpark (through py4j) call it as they would any Java class.
 */
public final class MoeInference {
  private final String modelPath;
  private final Map<String, String> options;

  private MoeInference(String modelPath, Map<String, String> options) {
    this.modelPath = modelPath;
    this.options = options;
  }

  /** Inference with the model at {@code modelPath} (a directory every executor can read). */
  public static MoeInference of(String modelPath) {
    return new MoeInference(modelPath, Map.of());
  }

  /**
   * Sets one option by its key: every {@link MoeOptions} key of scope {@code CALL} ({@code
   * placement}, {@code slots}, ..., {@code kind}), or the deprecated alias {@code output} of {@code
   * kind}. The value is checked at once.
   *
   * @throws IllegalArgumentException for an unknown key or a value that does not parse, naming it
   */
  public MoeInference option(String key, String value) {
    MoeOption<?> option = SessionOptions.callOption(key);
    if (value == null) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid value of option %s: null (expected: a value; leave the option out for its"
                  + " default)",
              key));
    }
    option.parse(value);
    Map<String, String> copy = new LinkedHashMap<>(options);
    copy.put(option.key(), value);
    return new MoeInference(modelPath, Collections.unmodifiableMap(copy));
  }

  /** Id column: bigint, int or string (default {@code id}). */
  public MoeInference idColumn(String name) {
    return option(MoeOptions.ID_COLUMN.key(), name);
  }

  /** Token column: an array of integers (default {@code tokens}). */
  public MoeInference tokensColumn(String name) {
    return option(MoeOptions.TOKENS_COLUMN.key(), name);
  }

  /**
   * A text column (string) to tokenize with {@link #tokenizer}, read instead of a tokens column
   * (default: none, the tokens column is read).
   */
  public MoeInference textColumn(String name) {
    return option(MoeOptions.TEXT_COLUMN.key(), name);
  }

  /**
   * The folder that holds the Hugging Face {@code tokenizer.json}, or the file (default: the model
   * folder when it holds one). Every executor must be able to read it.
   */
  public MoeInference tokenizer(String location) {
    return option(MoeOptions.TOKENIZER.key(), location);
  }

  /** The output kind (default {@code embedding}). */
  public MoeInference kind(OutputKind value) {
    return kind(value.cliName());
  }

  /**
   * {@code embedding} (default), {@code next-token}, {@code score}, {@code hidden} or {@code
   * generate} (new tokens through a KV cache, with the sampling options; placement {@code in-task}
   * unless another is given).
   */
  public MoeInference kind(String value) {
    return option(MoeOptions.KIND.key(), value);
  }

  /**
   * @deprecated the output kind is {@code kind} everywhere (CLI, SQL, DataSource): use {@link
   *     #kind(OutputKind)}
   */
  @Deprecated
  public MoeInference output(OutputKind value) {
    return kind(value);
  }

  /**
   * @deprecated the output kind is {@code kind} everywhere (CLI, SQL, DataSource): use {@link
   *     #kind(String)}
   */
  @Deprecated
  public MoeInference output(String value) {
    return kind(value);
  }

  /**
   * {@code one-per-gpu}, {@code shared-layers} (default), {@code colocate:K}, {@code in-task} or
   * {@code auto} (the cost model picks the policy; hot-expert replicas follow the sampled load).
   */
  public MoeInference placement(String value) {
    return option(MoeOptions.PLACEMENT.key(), value);
  }

  /**
   * {@code shuffle}, {@code service} or {@code auto} (default): how routed tokens reach the
   * experts. The service keeps every slot's experts resident in a barrier stage of expert servers
   * that the owners call; auto picks it when the cluster can run the servers and the owners at the
   * same time. Results do not change.
   */
  public MoeInference mode(String value) {
    return option(MoeOptions.MODE.key(), value);
  }

  /** Service mode: micro-batches per owner partition, in flight together (default 2). */
  public MoeInference microBatches(int value) {
    return option(MoeOptions.MICRO_BATCHES.key(), Integer.toString(value));
  }

  /** {@code cpu} (default), {@code cuda} or {@code auto}. */
  public MoeInference backend(String value) {
    return option(MoeOptions.BACKEND.key(), value);
  }

  /** {@code f32} (default), {@code f16} or {@code bf16}: activations in the shuffles. */
  public MoeInference activationDtype(String value) {
    return option(MoeOptions.ACTIVATION_DTYPE.key(), value);
  }

  /**
   * {@code f32} (default, exact) or {@code bf16}: expert FFNs and attention projections in bf16
   * with f32 accumulation, on CPUs with bf16 instructions.
   */
  public MoeInference computeDtype(String value) {
    return option(MoeOptions.COMPUTE_DTYPE.key(), value);
  }

  /** Token-owner partitions (default: the input's partitions). */
  public MoeInference partitions(int value) {
    return option(MoeOptions.PARTITIONS.key(), Integer.toString(value));
  }

  /** Expert slots (default: one per GPU, else the cluster's task slots). */
  public MoeInference slots(int value) {
    return option(MoeOptions.SLOTS.key(), Integer.toString(value));
  }

  /**
   * Processes the input in waves of at most {@code value} rows, each through every layer, so that
   * executor memory holds one wave's activations rather than the whole table's (default: one wave).
   * Outputs do not depend on the wave size.
   */
  public MoeInference waveRows(long value) {
    return option(MoeOptions.WAVE_ROWS.key(), Long.toString(value));
  }

  /**
   * {@code fail} (default) or {@code skip}: what to do with a row the model cannot take (token ids
   * outside the vocabulary, longer than the model allows). Skipped rows are left out of the output
   * and counted in the report.
   */
  public MoeInference onRowError(String value) {
    return option(MoeOptions.ON_ROW_ERROR.key(), value);
  }

  /**
   * @deprecated the policy is {@code on-row-error} everywhere: use {@link #onRowError(String)}
   */
  @Deprecated
  public MoeInference onInvalidToken(String value) {
    return onRowError(value);
  }

  /**
   * Input rows whose routing the driver measures before the job (default 32; 0: none): tokens per
   * (layer, expert), in the report and the load that {@link #replicas} follows.
   */
  public MoeInference sampleRows(int value) {
    return option(MoeOptions.SAMPLE_ROWS.key(), Integer.toString(value));
  }

  /**
   * Replicas of hot experts: {@code none} (default), {@code auto} or a number of extra replicas per
   * layer. They go to the layer's slots and the spare ones, planned from the sampled load; results
   * do not change.
   */
  public MoeInference replicas(String value) {
    return option(MoeOptions.REPLICAS.key(), value);
  }

  /**
   * Expert capacity factor C (default: dropless): an expert computes at most ceil(C × tokens ×
   * top-k ÷ experts) tokens per layer, keeping those of highest routing weight; the others get a
   * zero output from it and are counted in the report.
   */
  public MoeInference capacityFactor(double value) {
    return option(MoeOptions.CAPACITY_FACTOR.key(), Double.toString(value));
  }

  /**
   * Copies of the whole expert set (default 1): each copy on its own slots, owner partition p
   * sending its tokens to copy p mod copies; results do not change.
   */
  public MoeInference dataParallel(int value) {
    return option(MoeOptions.DATA_PARALLEL.key(), Integer.toString(value));
  }

  /**
   * Expert tensor parallelism (default 1, or what {@link #slotMemory} needs): every expert's FFN
   * width split over {@code shards} slots, each holding and computing its slice; the partial
   * outputs are summed at combine. Results agree with the unsplit run within float rounding.
   */
  public MoeInference expertTp(int shards) {
    return option(MoeOptions.EXPERT_TP.key(), Integer.toString(shards));
  }

  /**
   * A slot's memory for expert weights, in bytes ({@code 268435456}, {@code 256m}, {@code 1g});
   * experts that do not fit are split by tensor parallelism over as many slots as they need.
   */
  public MoeInference slotMemory(String bytes) {
    return option(MoeOptions.SLOT_MEMORY.key(), bytes);
  }

  /** Runs the pipeline now and returns its output rows (cached). */
  public Dataset<Row> transform(Dataset<Row> input) {
    return run(input).rows();
  }

  /** Runs the pipeline and returns the output rows with the run report. */
  public MoeRun run(Dataset<Row> input) {
    return new PipelineRunner(resolve(input.sparkSession(), input.schema())).run(input);
  }

  /** The output rows of a run and its report. */
  public record MoeRun(Dataset<Row> rows, RunReport report) {}

  /** Applies the precedence: this call's options, then the session conf, then defaults. */
  ResolvedOptions resolve(SparkSession spark, StructType schema) {
    SessionOptions settings = SessionOptions.of(spark, options);
    OutputKind kind = settings.value(MoeOptions.KIND);
    return new ResolvedOptions(
        modelPath,
        settings.value(MoeOptions.ID_COLUMN),
        settings.value(MoeOptions.TOKENS_COLUMN),
        settings.find(MoeOptions.TEXT_COLUMN),
        TextTokenizer.locate(Path.of(modelPath), settings.find(MoeOptions.TOKENIZER)),
        kind,
        placement(settings, kind),
        settings.value(MoeOptions.MODE),
        service(settings),
        settings.value(MoeOptions.BACKEND),
        settings.value(MoeOptions.ACTIVATION_DTYPE),
        settings.value(MoeOptions.COMPUTE_DTYPE),
        settings.find(MoeOptions.PARTITIONS),
        settings.find(MoeOptions.SLOTS),
        InvalidTokenPolicy.parse(settings.value(MoeOptions.ON_ROW_ERROR)),
        settings.find(MoeOptions.WAVE_ROWS),
        balance(settings),
        kind == OutputKind.GENERATE ? GenerateSettings.resolve(settings, schema) : null);
  }

  /** The placement asked for; generation runs in-task unless another placement is asked for. */
  private static PlacementPolicy placement(SessionOptions settings, OutputKind kind) {
    return kind == OutputKind.GENERATE && settings.text(MoeOptions.PLACEMENT).isEmpty()
        ? PlacementPolicy.IN_TASK
        : settings.value(MoeOptions.PLACEMENT);
  }

  static ServiceSettings service(SessionOptions settings) {
    return new ServiceSettings(
        settings.value(MoeOptions.MICRO_BATCHES),
        settings.value(MoeOptions.GATHER_TOKENS),
        settings.value(MoeOptions.GATHER_MICROS),
        settings.value(MoeOptions.MAX_IN_FLIGHT),
        settings.value(MoeOptions.QUEUE_CAPACITY),
        settings.value(MoeOptions.REQUEST_TIMEOUT_MS),
        settings.value(MoeOptions.CONNECT_TIMEOUT_MS),
        settings.value(MoeOptions.MAX_RECONNECTS));
  }

  private static LoadBalanceOptions balance(SessionOptions settings) {
    HotExpertReplicas.Setting replicas = settings.value(MoeOptions.REPLICAS);
    // The sample runs the model on the driver: only by default where replicas or auto use it.
    boolean sampleUsed =
        !replicas.isNone()
            || settings.value(MoeOptions.PLACEMENT).kind() == PlacementPolicy.Kind.AUTO;
    int defaultSample = sampleUsed ? LoadBalanceOptions.DEFAULT_SAMPLE_ROWS : 0;
    return new LoadBalanceOptions(
        settings.find(MoeOptions.SAMPLE_ROWS).orElse(defaultSample),
        replicas,
        settings.value(MoeOptions.CAPACITY_FACTOR),
        settings.value(MoeOptions.DATA_PARALLEL),
        settings.find(MoeOptions.EXPERT_TP).orElse(0),
        settings.find(MoeOptions.SLOT_MEMORY).orElse(0L));
  }
}
