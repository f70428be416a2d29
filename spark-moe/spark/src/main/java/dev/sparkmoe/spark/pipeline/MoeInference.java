package dev.sparkmoe.spark.pipeline;

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
   * {@code on-invalid-token} or {@code wave-rows}.
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

  /** {@code one-per-gpu}, {@code shared-layers} (default) or {@code colocate:K}. */
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
        FaultInjection.parse(spark.conf().get(FaultInjection.KEY, null)),
        Optional.ofNullable(setting(spark, OptionKey.WAVE_ROWS, null))
            .map(v -> OptionKey.positiveLong(OptionKey.WAVE_ROWS, v)));
  }

  private String setting(SparkSession spark, String key, String fallback) {
    String value = options.get(key);
    return value != null ? value : spark.conf().get(PREFIX + key, fallback);
  }
}
