package dev.sparkmoe.spark.sql;

import dev.sparkmoe.core.backend.ExpertBackends;
import dev.sparkmoe.core.config.MoeOption;
import dev.sparkmoe.core.config.MoeOptions;
import dev.sparkmoe.core.exchange.ExchangeMode;
import dev.sparkmoe.core.forward.OutputKind;
import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.model.ModelConfigReader;
import dev.sparkmoe.core.placement.PlacementPolicy;
import dev.sparkmoe.spark.config.SessionOptions;
import dev.sparkmoe.spark.pipeline.GenerateSettings;
import dev.sparkmoe.spark.pipeline.InTaskForward;
import dev.sparkmoe.spark.pipeline.InvalidTokenPolicy;
import dev.sparkmoe.spark.pipeline.ScalarForward;
import dev.sparkmoe.spark.pipeline.ScalarPlacement;
import dev.sparkmoe.spark.pipeline.ScalarService;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * A scalar model call's settings, resolved when the query is analyzed (the session conf is the
 * driver's): calls with equal settings share one batched pass over a partition.
 *
 * @param model the model, its backend and compute dtype
 * @param placement where the experts run: in-task, or on the query's expert servers
 * @param batchRows rows per forward
 * @param invalidTokens what a row with tokens the model cannot take gets: a failure, or NULL
 * @param idColumn the column that names a row in messages, when the query has it
 * @param generate {@code moe_generate}'s sampling parameters and KV-cache budget; null for the
 *     other functions
 */
record ScalarSettings(
    InTaskForward.Model model,
    ScalarPlacement.Choice placement,
    int batchRows,
    InvalidTokenPolicy invalidTokens,
    String idColumn,
    GenerateSettings generate)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The options a scalar call takes; the others belong to {@code moe_infer}'s pipeline. */
  static final List<MoeOption<?>> OPTIONS =
      List.of(
          MoeOptions.PLACEMENT,
          MoeOptions.MODE,
          MoeOptions.SLOTS,
          MoeOptions.MICRO_BATCHES,
          MoeOptions.BACKEND,
          MoeOptions.COMPUTE_DTYPE,
          MoeOptions.ON_ROW_ERROR,
          MoeOptions.BATCH_ROWS,
          MoeOptions.ID_COLUMN);

  /** The options {@code moe_generate} takes: the others' and the generation options. */
  static final List<MoeOption<?>> GENERATE_OPTIONS =
      java.util.stream.Stream.concat(OPTIONS.stream(), GenerateSettings.CALL_OPTIONS.stream())
          .toList();

  /**
   * Resolves {@code options} (lower-case keys) over the session conf and defaults, and checks that
   * the model opens and fits where it will run. {@code placement}, {@code mode}, {@code slots} and
   * {@code id-column} are read from the call only (defaults {@code auto}, {@code auto}, one server
   * per task slot but one, and {@code id}): the session's are {@code moe_infer}'s.
   *
   * @throws IllegalArgumentException naming the option, the model or the sizes at fault
   */
  static ScalarSettings resolve(
      SparkSession spark,
      String modelPath,
      Map<String, String> options,
      String where,
      OutputKind kind) {
    List<MoeOption<?>> allowed = kind == OutputKind.GENERATE ? GENERATE_OPTIONS : OPTIONS;
    for (String key : options.keySet()) {
      if (MoeOptions.find(allowed, key).isEmpty()) {
        throw new IllegalArgumentException(
            String.format(
                "Invalid option of %s: %s (expected: one of %s)",
                where, key, String.join(", ", MoeOptions.keys(allowed))));
      }
    }
    SessionOptions settings = SessionOptions.of(spark, options);
    String backend = settings.value(MoeOptions.BACKEND);
    ExpertBackends.checkName(backend);
    ModelConfig config = ModelConfigReader.read(Path.of(modelPath));
    PlacementPolicy requested =
        MoeOptions.PLACEMENT.parse(options.getOrDefault(MoeOptions.PLACEMENT.key(), "auto"));
    InTaskForward.Model model =
        new InTaskForward.Model(modelPath, backend, settings.value(MoeOptions.COMPUTE_DTYPE));
    ExchangeMode mode = MoeOptions.MODE.parse(options.getOrDefault(MoeOptions.MODE.key(), "auto"));
    Optional<Integer> slots =
        Optional.ofNullable(options.get(MoeOptions.SLOTS.key())).map(MoeOptions.SLOTS::parse);
    ScalarPlacement.Choice placement =
        ScalarPlacement.choose(spark, model, config, requested, mode, slots, settings);
    checkGenerateInTask(kind, placement, modelPath);
    return new ScalarSettings(
        model,
        placement,
        settings.value(MoeOptions.BATCH_ROWS),
        InvalidTokenPolicy.parse(settings.value(MoeOptions.ON_ROW_ERROR)),
        options.getOrDefault(MoeOptions.ID_COLUMN.key(), MoeOptions.ID_COLUMN.defaultValue()),
        kind == OutputKind.GENERATE ? GenerateSettings.resolve(settings, new StructType()) : null);
  }

  /** The seam for generation through the service: refused at analysis until it is built. */
  private static void checkGenerateInTask(
      OutputKind kind, ScalarPlacement.Choice placement, String modelPath) {
    if (kind == OutputKind.GENERATE && placement.isService()) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot run moe_generate on model %s through the expert service: scalar generation"
                  + " runs in-task only for now (pass 'placement=in-task' for a model that fits a"
                  + " task, or use moe infer --kind generate --mode service)",
              modelPath));
    }
  }

  /**
   * Where the operator's tasks open their forward: in-task, or through the expert servers of the
   * running SQL execution, which this starts on the first call.
   */
  ScalarForward.Source forwardSource(SparkSession spark) {
    return placement.isService()
        ? ScalarService.start(spark, placement.service())
        : InTaskForward.source(model);
  }

  /** How EXPLAIN shows these settings. */
  String explain() {
    return String.format(
        "model=%s, %s, batch-rows=%d, backend=%s, compute-dtype=%s",
        model.path(),
        placement.explain(),
        batchRows,
        model.backend(),
        model.computeDtype().optionName());
  }
}
