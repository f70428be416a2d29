package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.batch.ActivationDtype;
import dev.sparkmoe.core.forward.OutputKind;
import dev.sparkmoe.core.placement.PlacementPolicy;
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
 * conf ({@code spark.moe.*}), then from defaults — see {@link #resolve}. Plain Java types only, so
 * Scala and PySpark (through py4j) call it as they would any Java class.
 */
public final class MoeInference {
  static final String PREFIX = "spark.moe.";

  private final String modelPath;
  private final String idColumn;
  private final String tokensColumn;
  private final OutputKind kind;
  private final String placement;
  private final String backend;
  private final String activationDtype;
  private final Integer partitions;
  private final Integer slots;

  private MoeInference(
      String modelPath,
      String idColumn,
      String tokensColumn,
      OutputKind kind,
      String placement,
      String backend,
      String activationDtype,
      Integer partitions,
      Integer slots) {
    this.modelPath = modelPath;
    this.idColumn = idColumn;
    this.tokensColumn = tokensColumn;
    this.kind = kind;
    this.placement = placement;
    this.backend = backend;
    this.activationDtype = activationDtype;
    this.partitions = partitions;
    this.slots = slots;
  }

  /** Inference with the model at {@code modelPath} (a directory every executor can read). */
  public static MoeInference of(String modelPath) {
    return new MoeInference(
        modelPath, "id", "tokens", OutputKind.EMBEDDING, null, null, null, null, null);
  }

  public MoeInference idColumn(String name) {
    return new MoeInference(
        modelPath,
        name,
        tokensColumn,
        kind,
        placement,
        backend,
        activationDtype,
        partitions,
        slots);
  }

  public MoeInference tokensColumn(String name) {
    return new MoeInference(
        modelPath, idColumn, name, kind, placement, backend, activationDtype, partitions, slots);
  }

  public MoeInference output(OutputKind value) {
    return new MoeInference(
        modelPath,
        idColumn,
        tokensColumn,
        value,
        placement,
        backend,
        activationDtype,
        partitions,
        slots);
  }

  /** {@code embedding}, {@code next-token}, {@code score} or {@code hidden}. */
  public MoeInference output(String value) {
    return output(OutputKind.parse(value));
  }

  /**
   * {@code one-per-gpu}, {@code shared-layers} or {@code colocate:K} ({@code spark.moe.placement}).
   */
  public MoeInference placement(String value) {
    PlacementPolicy.parse(value);
    return new MoeInference(
        modelPath,
        idColumn,
        tokensColumn,
        kind,
        value,
        backend,
        activationDtype,
        partitions,
        slots);
  }

  /** {@code cpu}, {@code cuda} or {@code auto} ({@code spark.moe.backend}). */
  public MoeInference backend(String value) {
    return new MoeInference(
        modelPath,
        idColumn,
        tokensColumn,
        kind,
        placement,
        value,
        activationDtype,
        partitions,
        slots);
  }

  /**
   * {@code f32}, {@code f16} or {@code bf16}: activations in the shuffles ({@code
   * spark.moe.activation-dtype}).
   */
  public MoeInference activationDtype(String value) {
    ActivationDtype.parse(value);
    return new MoeInference(
        modelPath, idColumn, tokensColumn, kind, placement, backend, value, partitions, slots);
  }

  /** Token-owner partitions ({@code spark.moe.partitions}; default: the input's partitions). */
  public MoeInference partitions(int value) {
    return new MoeInference(
        modelPath, idColumn, tokensColumn, kind, placement, backend, activationDtype, value, slots);
  }

  /** Expert slots ({@code spark.moe.slots}; default: one per GPU, or the cluster's task slots). */
  public MoeInference slots(int value) {
    return new MoeInference(
        modelPath,
        idColumn,
        tokensColumn,
        kind,
        placement,
        backend,
        activationDtype,
        partitions,
        value);
  }

  /** Lazily usable output rows: runs the pipeline now and returns its (cached) result. */
  public Dataset<Row> transform(Dataset<Row> input) {
    return run(input).rows();
  }

  /** Runs the pipeline and returns the output rows with the run report. */
  public MoeRun run(Dataset<Row> input) {
    return new PipelineRunner(resolve(input.sparkSession())).run(input);
  }

  /** The output rows of a run and its report. */
  public record MoeRun(Dataset<Row> rows, RunReport report) {}

  /** Applies the precedence: this call's settings, then the session conf, then defaults. */
  ResolvedOptions resolve(SparkSession spark) {
    return new ResolvedOptions(
        modelPath,
        idColumn,
        tokensColumn,
        kind,
        PlacementPolicy.parse(setting(spark, placement, "placement", "shared-layers")),
        setting(spark, backend, "backend", "cpu"),
        ActivationDtype.parse(setting(spark, activationDtype, "activation-dtype", "f32")),
        Optional.ofNullable(partitions).or(() -> intConf(spark, "partitions")),
        Optional.ofNullable(slots).or(() -> intConf(spark, "slots")));
  }

  private static String setting(SparkSession spark, String value, String key, String fallback) {
    return value != null ? value : spark.conf().get(PREFIX + key, fallback);
  }

  private static Optional<Integer> intConf(SparkSession spark, String key) {
    String value = spark.conf().get(PREFIX + key, null);
    if (value == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Integer.parseInt(value.trim()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          String.format("Invalid %s%s: %s (expected: a positive integer)", PREFIX, key, value), e);
    }
  }
}
