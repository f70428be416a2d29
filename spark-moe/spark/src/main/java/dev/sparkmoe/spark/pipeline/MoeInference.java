package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.balance.HotExpertReplicas;
import dev.sparkmoe.core.batch.ActivationDtype;
import dev.sparkmoe.core.forward.OutputKind;
import dev.sparkmoe.core.placement.PlacementPolicy;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The public entry point: expert-parallel inference over a tokenized table.
 *
 * <pre>{@code
 * Dataset<Row> out = MoeInference.of("/models/m").idColumn("id").tokensColumn("tokens")
 *     .output("embedding").placement("shared-layers").transform(df);
 * }</pre>
 *
 * <p>Immutable: every setter returns a new instance. Settings not given here come from the session
 * conf ({@code spark.moe.<key>}), then from defaults. Each setter is also reachable by its key
 * through {@link #option(String, String)}, which SQL and DataSource options use. Plain Java types
 * only, so Scala and PySpark (through py4j) call it as they would any Java class.
 */
public final class MoeInference {
  static final String PREFIX = "spark.moe.";

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
   * Sets one option by its key: {@code id-column}, {@code tokens-column}, {@code output}, {@code
   * placement}, {@code backend}, {@code activation-dtype}, {@code partitions}, {@code slots},
   * {@code on-invalid-token}, {@code wave-rows}, {@code sample-rows}, {@code replicas}, {@code
   * capacity-factor}, {@code data-parallel}, {@code expert-tp} or {@code slot-memory}.
   */
  public MoeInference option(String key, String value) {
    OptionKey.check(key, value);
    Map<String, String> copy = new LinkedHashMap<>(options);
    copy.put(key, value);
    return new MoeInference(modelPath, Collections.unmodifiableMap(copy));
  }

  /** Id column: bigint, int or string (default {@code id}). */
  public MoeInference idColumn(String name) {
    return option(OptionKey.ID_COLUMN, name);
  }

  /** Token column: an array of integers (default {@code tokens}). */
  public MoeInference tokensColumn(String name) {
    return option(OptionKey.TOKENS_COLUMN, name);
  }

  public MoeInference output(OutputKind value) {
    return option(OptionKey.OUTPUT, value.cliName());
  }

  /** {@code embedding} (default), {@code next-token}, {@code score} or {@code hidden}. */
  public MoeInference output(String value) {
    return option(OptionKey.OUTPUT, value);
  }

  /**
   * {@code one-per-gpu}, {@code shared-layers} (default), {@code colocate:K} or {@code auto} (the
   * cost model picks the policy; hot-expert replicas follow the sampled load).
   */
  public MoeInference placement(String value) {
    return option(OptionKey.PLACEMENT, value);
  }

  /** {@code cpu} (default), {@code cuda} or {@code auto}. */
  public MoeInference backend(String value) {
    return option(OptionKey.BACKEND, value);
  }

  /** {@code f32} (default), {@code f16} or {@code bf16}: activations in the shuffles. */
  public MoeInference activationDtype(String value) {
    return option(OptionKey.ACTIVATION_DTYPE, value);
  }

  /** Token-owner partitions (default: the input's partitions). */
  public MoeInference partitions(int value) {
    return option(OptionKey.PARTITIONS, Integer.toString(value));
  }

  /** Expert slots (default: one per GPU, else the cluster's task slots). */
  public MoeInference slots(int value) {
    return option(OptionKey.SLOTS, Integer.toString(value));
  }

  /**
   * Processes the input in waves of at most {@code value} rows, each through every layer, so that
   * executor memory holds one wave's activations rather than the whole table's (default: one wave).
   * Outputs do not depend on the wave size.
   */
  public MoeInference waveRows(long value) {
    return option(OptionKey.WAVE_ROWS, Long.toString(value));
  }

  /**
   * {@code fail} (default) or {@code skip}: what to do with a row whose token ids fall outside the
   * vocabulary or that is longer than the model allows. Skipped rows are left out of the output and
   * counted in the report.
   */
  public MoeInference onInvalidToken(String value) {
    return option(OptionKey.ON_INVALID_TOKEN, value);
  }

  /**
   * Input rows whose routing the driver measures before the job (default 32; 0: none): tokens per
   * (layer, expert), in the report and the load that {@link #replicas} follows.
   */
  public MoeInference sampleRows(int value) {
    return option(OptionKey.SAMPLE_ROWS, Integer.toString(value));
  }

  /**
   * Replicas of hot experts: {@code none} (default), {@code auto} or a number of extra replicas per
   * layer. They go to the layer's slots and the spare ones, planned from the sampled load; results
   * do not change.
   */
  public MoeInference replicas(String value) {
    return option(OptionKey.REPLICAS, value);
  }

  /**
   * Expert capacity factor C (default: dropless): an expert computes at most ceil(C × tokens ×
   * top-k ÷ experts) tokens per layer, keeping those of highest routing weight; the others get a
   * zero output from it and are counted in the report.
   */
  public MoeInference capacityFactor(double value) {
    return option(OptionKey.CAPACITY_FACTOR, Double.toString(value));
  }

  /**
   * Copies of the whole expert set (default 1): each copy on its own slots, owner partition p
   * sending its tokens to copy p mod copies; results do not change.
   */
  public MoeInference dataParallel(int value) {
    return option(OptionKey.DATA_PARALLEL, Integer.toString(value));
  }

  /**
   * Expert tensor parallelism (default 1, or what {@link #slotMemory} needs): every expert's FFN
   * width split over {@code shards} slots, each holding and computing its slice; the partial
   * outputs are summed at combine. Results agree with the unsplit run within float rounding.
   */
  public MoeInference expertTp(int shards) {
    return option(OptionKey.EXPERT_TP, Integer.toString(shards));
  }

  /**
   * A slot's memory for expert weights, in bytes ({@code 268435456}, {@code 256m}, {@code 1g});
   * experts that do not fit are split by tensor parallelism over as many slots as they need.
   */
  public MoeInference slotMemory(String bytes) {
    return option(OptionKey.SLOT_MEMORY, bytes);
  }

  /** Runs the pipeline now and returns its output rows (cached). */
  public Dataset<Row> transform(Dataset<Row> input) {
    return run(input).rows();
  }

  /** Runs the pipeline and returns the output rows with the run report. */
  public MoeRun run(Dataset<Row> input) {
    return new PipelineRunner(resolve(input.sparkSession())).run(input);
  }

  /** The output rows of a run and its report. */
  public record MoeRun(Dataset<Row> rows, RunReport report) {}

  /** Applies the precedence: this call's options, then the session conf, then defaults. */
  ResolvedOptions resolve(SparkSession spark) {
    return new ResolvedOptions(
        modelPath,
        setting(spark, OptionKey.ID_COLUMN, "id"),
        setting(spark, OptionKey.TOKENS_COLUMN, "tokens"),
        OutputKind.parse(setting(spark, OptionKey.OUTPUT, "embedding")),
        PlacementPolicy.parse(setting(spark, OptionKey.PLACEMENT, "shared-layers")),
        setting(spark, OptionKey.BACKEND, "cpu"),
        ActivationDtype.parse(setting(spark, OptionKey.ACTIVATION_DTYPE, "f32")),
        Optional.ofNullable(setting(spark, OptionKey.PARTITIONS, null))
            .map(v -> OptionKey.positive(OptionKey.PARTITIONS, v)),
        Optional.ofNullable(setting(spark, OptionKey.SLOTS, null))
            .map(v -> OptionKey.positive(OptionKey.SLOTS, v)),
        InvalidTokenPolicy.parse(setting(spark, OptionKey.ON_INVALID_TOKEN, "fail")),
        Optional.ofNullable(setting(spark, OptionKey.WAVE_ROWS, null))
            .map(v -> OptionKey.positiveLong(OptionKey.WAVE_ROWS, v)),
        balance(spark));
  }

  private LoadBalanceOptions balance(SparkSession spark) {
    String sample = setting(spark, OptionKey.SAMPLE_ROWS, null);
    String capacity = setting(spark, OptionKey.CAPACITY_FACTOR, "none");
    HotExpertReplicas.Setting replicas =
        HotExpertReplicas.Setting.parse(setting(spark, OptionKey.REPLICAS, "none"));
    // The sample runs the model on the driver: only by default where replicas or auto use it.
    boolean sampleUsed =
        !replicas.isNone()
            || PlacementPolicy.parse(setting(spark, OptionKey.PLACEMENT, "shared-layers")).kind()
                == PlacementPolicy.Kind.AUTO;
    int defaultSample = sampleUsed ? LoadBalanceOptions.DEFAULT_SAMPLE_ROWS : 0;
    return new LoadBalanceOptions(
        sample == null ? defaultSample : OptionKey.nonNegative(OptionKey.SAMPLE_ROWS, sample),
        replicas,
        OptionKey.capacityFactor(capacity),
        OptionKey.positive(OptionKey.DATA_PARALLEL, setting(spark, OptionKey.DATA_PARALLEL, "1")),
        Optional.ofNullable(setting(spark, OptionKey.EXPERT_TP, null))
            .map(v -> OptionKey.positive(OptionKey.EXPERT_TP, v))
            .orElse(0),
        Optional.ofNullable(setting(spark, OptionKey.SLOT_MEMORY, null))
            .map(v -> OptionKey.bytes(OptionKey.SLOT_MEMORY, v))
            .orElse(0L));
  }

  private String setting(SparkSession spark, String key, String fallback) {
    String value = options.get(key);
    return value != null ? value : spark.conf().get(PREFIX + key, fallback);
  }
}
