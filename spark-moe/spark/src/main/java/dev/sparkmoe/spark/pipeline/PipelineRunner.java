package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.Checks;
import dev.sparkmoe.core.backend.ExpertBackends;
import dev.sparkmoe.core.forward.OutputKind;
import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.nn.ComputeDtype;
import dev.sparkmoe.core.placement.PlacementPlan;
import dev.sparkmoe.core.placement.PlacementPolicy;
import dev.sparkmoe.spark.cluster.ClusterProbe;
import dev.sparkmoe.spark.cluster.ExecutorSlot;
import dev.sparkmoe.spark.infer.InputColumns;
import dev.sparkmoe.spark.infer.OutputSchema;
import dev.sparkmoe.spark.infer.TextInput;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.util.CollectionAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Driver side of a run: checks the input, the backend and the model before any task, learns the
 * executors, places the experts, runs the {@link PipelineJob} once per wave of input rows ({@link
 * WaveInput}) and builds the report. The waves' outputs stay persisted on the executors and are
 * returned as one table, so a caller writes them in one job.
 */
final class PipelineRunner {
  private static final Logger LOG = LoggerFactory.getLogger(PipelineRunner.class);
  private final ResolvedOptions options;

  PipelineRunner(ResolvedOptions options) {
    this.options = options;
  }

  MoeInference.MoeRun run(Dataset<Row> given) {
    SparkSession spark = given.sparkSession();
    Dataset<Row> input = tokenized(given);
    StructField id = InputColumns.id(input.schema(), options.idColumn());
    InputColumns.tokens(input.schema(), options.tokensColumn());
    ModelConfig config = checkBackendAndModel(spark);
    checkInTaskCapacity();
    List<ExecutorSlot> executors = ClusterProbe.executors(spark);
    int numSlots = options.slots().orElseGet(() -> defaultSlots(spark, executors));
    Dataset<Row> selected = input.select(columns(input));
    AutoPlacement.Choice choice = policy(spark, config, executors, numSlots);
    BalancedPlacement balanced =
        BalancedPlacement.plan(
            options.placement(),
            choice.policy(),
            options.balance(),
            options.modelPath(),
            numSlots,
            selected);
    int partitions = options.partitions().orElse(Math.max(1, selected.rdd().getNumPartitions()));
    // In-task, each owner partition is its own expert slot; it is not pinned to an executor.
    List<String> slotLocations =
        slotLocations(executors, isInTask(balanced.plan()) ? partitions : numSlots);
    checkGenerate(balanced.plan());
    PipelineManifest manifest = manifest(balanced.plan(), partitions);
    LocalPrefetch.start(spark.sparkContext(), manifest);
    ExchangeChoice exchange =
        ExchangeChoice.of(
            spark.sparkContext(),
            options.mode(),
            options.placement(),
            isInTask(balanced.plan()),
            slotLocations.size(),
            options.balance().capacityFactor().isPresent());
    LOG.info("spark-moe: exchange {} ({})", exchange.mode(), exchange.reason());

    CapacityPass capacity = CapacityPass.of(options.balance(), config);
    HeapWatermark.join(manifest.runId());
    long start = System.nanoTime();
    WaveInput waves = WaveInput.of(selected, options.waveRows(), partitions);
    WaveStats waveStats = new WaveStats();
    ServiceRecord service = new ServiceRecord();
    Waves run =
        runWaves(
            spark,
            new WaveJob(exchange, service, capacity),
            manifest,
            balanced,
            slotLocations,
            waves,
            waveStats,
            config);
    waves.release();
    long wallNanos = System.nanoTime() - start;
    JavaRDD<Row> out = union(spark, run.outputs());
    RunReport report =
        report(
                run.manifest(),
                slotLocations,
                out.count(),
                wallNanos,
                waveStats,
                config,
                LoadBalanceReport.of(run.placement(), options.balance(), capacity),
                choice.reason())
            .withMemory(ReportBuilder.memory(waveStats.stats(), waves.count(), waves.waveRows()))
            .withExchange(service.report(exchange))
            .withGeneration(GenerationReport.of(waveStats.generation(), wallNanos));
    return new MoeInference.MoeRun(
        spark.createDataFrame(out, OutputSchema.of(id, options.kind())), report);
  }

  /** The input, with its text column tokenized when the run reads text. */
  private Dataset<Row> tokenized(Dataset<Row> input) {
    if (options.textColumn().isEmpty()) {
      return input;
    }
    String text = options.textColumn().get();
    Path tokenizer = TextInput.tokenizer(options.modelPath(), options.tokenizer(), text);
    return TextInput.tokenize(input, options.idColumn(), text, options.tokensColumn(), tokenizer);
  }

  private static RunReport report(
      PipelineManifest manifest,
      List<String> slotLocations,
      long rows,
      long wallNanos,
      WaveStats waveStats,
      ModelConfig config,
      RunReport.LoadBalance loadBalance,
      String placementReason) {
    List<TaskStat> stats = waveStats.stats();
    long tokens = TaskStats.inputTokens(stats);
    return ReportBuilder.build(
        manifest,
        slotLocations,
        rows,
        tokens,
        wallNanos,
        waveStats.layerNanos(),
        stats,
        config.topK(),
        config.hiddenSize(),
        loadBalance,
        placementReason);
  }

  /**
   * Checks, before any task, that the backend exists (and runs here in local mode, in the compute
   * dtype asked for) and the model opens.
   */
  private ModelConfig checkBackendAndModel(SparkSession spark) {
    if (spark.sparkContext().isLocal()) {
      ExpertBackends.check(options.backend()); // the tasks run in this JVM
      if (options.computeDtype() != ComputeDtype.F32) {
        ExpertBackends.create(options.backend(), null, options.computeDtype()).close();
      }
      LOG.info(
          "spark-moe: compute dtype {} on backend {}",
          options.computeDtype().optionName(),
          options.backend());
    } else {
      ExpertBackends.checkName(options.backend()); // the executors hold the GPUs, not the driver
    }
    try (MoeModel model = MoeModel.open(Path.of(options.modelPath()))) {
      return model.config();
    }
  }

  private PipelineManifest manifest(PlacementPlan placement, int partitions) {
    return new PipelineManifest(
        options.modelPath(),
        options.backend(),
        options.kind(),
        options.activationDtype(),
        options.computeDtype(),
        placement,
        partitions,
        options.invalidTokens(),
        ThreadLocalRandom.current().nextLong(),
        options.service(),
        options.generate());
  }

  /**
   * What every wave runs with: the exchange, where the service's statistics go, and expert capacity
   * (null for dropless).
   */
  private record WaveJob(ExchangeChoice exchange, ServiceRecord service, CapacityPass capacity) {}

  /** The waves' persisted outputs, and the manifest and placement the last wave ran with. */
  private record Waves(
      List<JavaRDD<Row>> outputs, PipelineManifest manifest, BalancedPlacement placement) {}

  /**
   * Runs the waves in turn. After each, the statistics follow the input (the sample plus every wave
   * measured so far), and with replicas the next wave is placed from them.
   */
  private static Waves runWaves(
      SparkSession spark,
      WaveJob job,
      PipelineManifest first,
      BalancedPlacement sampled,
      List<String> slotLocations,
      WaveInput waves,
      WaveStats waveStats,
      ModelConfig config) {
    List<JavaRDD<Row>> outputs = new ArrayList<>();
    PipelineManifest manifest = first;
    BalancedPlacement balanced = sampled;
    for (int wave = 0; wave < waves.count(); wave++) {
      outputs.add(runWave(spark, job, manifest, slotLocations, waves, wave, waveStats));
      if (wave + 1 < waves.count()) {
        balanced =
            sampled.updated(
                TaskStats.measuredLoad(waveStats.stats(), config.numLayers(), config.numExperts()));
        if (!balanced.replicas().isNone()) {
          LOG.info(
              "spark-moe: wave {} replicas from the load so far: {}", wave + 2, balanced.plan());
          manifest = manifest.withPlacement(balanced.plan());
        }
      }
    }
    return new Waves(outputs, manifest, balanced);
  }

  /** The waves' persisted outputs as one RDD. */
  private static JavaRDD<Row> union(SparkSession spark, List<JavaRDD<Row>> outputs) {
    if (outputs.size() == 1) {
      return outputs.get(0);
    }
    @SuppressWarnings("unchecked")
    JavaRDD<Row>[] array = outputs.toArray(JavaRDD[]::new);
    return JavaSparkContext.fromSparkContext(spark.sparkContext()).union(array);
  }

  /**
   * Runs every layer over one wave; returns its persisted output rows. Expert capacity applies to
   * each wave on its own tokens.
   */
  private static JavaRDD<Row> runWave(
      SparkSession spark,
      WaveJob job,
      PipelineManifest manifest,
      List<String> slotLocations,
      WaveInput waves,
      int wave,
      WaveStats waveStats) {
    if (waves.count() > 1) {
      LOG.info(
          "spark-moe: wave {}/{} (at most {} rows)", wave + 1, waves.count(), waves.waveRows());
    }
    CollectionAccumulator<TaskStat> stats = new CollectionAccumulator<>();
    spark.sparkContext().register(stats, "spark-moe task statistics");
    RunRecorder recorder = new RunRecorder(manifest.placement().numLayers());
    CollectionAccumulator<InTaskGenerate.Stat> generation = new CollectionAccumulator<>();
    spark.sparkContext().register(generation, "spark-moe generation statistics");
    JavaRDD<Row> out;
    if (isInTask(manifest.placement())) {
      out = new InTaskJob(manifest, stats, recorder, generation).run(waves.wave(wave));
    } else if (job.exchange().isService()) {
      ServiceRecord.Wave record = job.service().wave(spark);
      out =
          new ServiceJob(
                  manifest, slotLocations, stats, record.servers(), record.timings(), recorder)
              .run(waves.wave(wave));
      job.service().add(record);
    } else {
      out =
          new PipelineJob(manifest, slotLocations, stats, recorder, job.capacity())
              .run(waves.wave(wave));
    }
    waveStats.add(stats.value(), recorder.layerNanos());
    waveStats.addGeneration(generation.value());
    return out;
  }

  /** In-task computes every routed token: expert capacity belongs to the exchanged placements. */
  private void checkInTaskCapacity() {
    Checks.checkArgument(
        options.placement().kind() != PlacementPolicy.Kind.IN_TASK
            || options.balance().capacityFactor().isEmpty(),
        "Invalid capacity-factor with placement in-task: %s (expected: unset; in-task computes"
            + " every routed token, use shared-layers, one-per-gpu or colocate:K for expert"
            + " capacity)",
        options.balance().capacityFactor().orElse(0));
  }

  /** The id and tokens, then for generate the per-row sampling columns present. */
  private org.apache.spark.sql.Column[] columns(Dataset<Row> input) {
    List<String> names = new ArrayList<>(List.of(options.idColumn(), options.tokensColumn()));
    if (options.generate() != null) {
      names.addAll(options.generate().rowColumns());
    }
    return names.stream().map(input::col).toArray(org.apache.spark.sql.Column[]::new);
  }

  /** Generation keeps each row's KV cache in its task: the exchanged placements cannot run it. */
  private void checkGenerate(PlacementPlan plan) {
    Checks.checkArgument(
        options.kind() != OutputKind.GENERATE || isInTask(plan),
        "Cannot run kind generate with placement %s: generate runs in-task (--placement in-task)"
            + " or through the expert service (--mode service)",
        plan.policy().cliName());
  }

  private static boolean isInTask(PlacementPlan plan) {
    return plan.policy().kind() == PlacementPolicy.Kind.IN_TASK;
  }

  /** The requested policy, or under {@code auto} the planner's choice for the slots at hand. */
  private AutoPlacement.Choice policy(
      SparkSession spark, ModelConfig config, List<ExecutorSlot> executors, int numSlots) {
    if (options.placement().kind() != PlacementPolicy.Kind.AUTO) {
      return new AutoPlacement.Choice(
          options.placement(), "asked for: placement " + options.placement().cliName());
    }
    return options.kind() == OutputKind.GENERATE
        ? new AutoPlacement.Choice(
            AutoPlacement.chooseForGenerate(spark, config),
            "auto: generate runs in-task when every expert fits a task")
        : AutoPlacement.choose(
            spark,
            config,
            executors,
            numSlots,
            options.activationDtype(),
            options.balance().capacityFactor());
  }

  /** One slot per GPU when executors have GPUs, else one per task slot of the cluster. */
  private static int defaultSlots(SparkSession spark, List<ExecutorSlot> executors) {
    long gpus = executors.stream().filter(e -> e.gpuAddress() != null).count();
    return gpus > 0 ? (int) gpus : spark.sparkContext().defaultParallelism();
  }

  /** Slot s is pinned to executor s mod executors: with one GPU per executor, one slot per GPU. */
  static List<String> slotLocations(List<ExecutorSlot> executors, int numSlots) {
    List<String> locations = new ArrayList<>(numSlots);
    for (int slot = 0; slot < numSlots; slot++) {
      locations.add(executors.get(slot % executors.size()).taskLocation());
    }
    return locations;
  }
}
