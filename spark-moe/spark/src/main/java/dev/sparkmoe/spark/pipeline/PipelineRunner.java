package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.backend.ExpertBackends;
import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.placement.PlacementPlan;
import dev.sparkmoe.spark.cluster.ClusterProbe;
import dev.sparkmoe.spark.cluster.ExecutorSlot;
import dev.sparkmoe.spark.infer.InputColumns;
import dev.sparkmoe.spark.infer.OutputSchema;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.util.CollectionAccumulator;

/**
 * Driver side of a run: checks the input, the backend and the model before any task, learns the
 * executors, places the experts, runs the {@link PipelineJob} and builds the report.
 */
final class PipelineRunner {
  private final ResolvedOptions options;

  PipelineRunner(ResolvedOptions options) {
    this.options = options;
  }

  MoeInference.MoeRun run(Dataset<Row> input) {
    SparkSession spark = input.sparkSession();
    StructField id = InputColumns.id(input.schema(), options.idColumn());
    InputColumns.tokens(input.schema(), options.tokensColumn());
    ExpertBackends.check(options.backend());
    ModelConfig config;
    try (MoeModel model = MoeModel.open(Path.of(options.modelPath()))) {
      config = model.config();
    }
    List<ExecutorSlot> executors = ClusterProbe.probe(spark);
    int numSlots = options.slots().orElseGet(() -> defaultSlots(spark, executors));
    PlacementPlan placement =
        PlacementPlan.of(options.placement(), config.numLayers(), config.numExperts(), numSlots);
    List<String> slotLocations = slotLocations(executors, numSlots);

    Dataset<Row> selected = input.select(options.idColumn(), options.tokensColumn());
    int inputPartitions = selected.rdd().getNumPartitions();
    int partitions = options.partitions().orElse(Math.max(1, inputPartitions));
    // Repartition as a DataFrame: Spark shuffles its own binary rows, not Row objects.
    JavaRDD<Row> rows =
        (partitions == inputPartitions ? selected : selected.repartition(partitions)).javaRDD();
    PipelineManifest manifest =
        new PipelineManifest(
            options.modelPath(),
            options.backend(),
            options.kind(),
            options.activationDtype(),
            placement,
            partitions,
            options.invalidTokens(),
            options.fault());
    CollectionAccumulator<TaskStat> stats = new CollectionAccumulator<>();
    spark.sparkContext().register(stats, "spark-moe task statistics");
    RunRecorder recorder = new RunRecorder(config.numLayers());

    long start = System.nanoTime();
    JavaRDD<Row> out = new PipelineJob(manifest, slotLocations, stats, recorder).run(rows);
    long wallNanos = System.nanoTime() - start;
    long tokens =
        TaskStats.latest(stats.value()).stream()
            .filter(s -> s.stage().equals(TaskStat.OWNER) && s.layer() == 0)
            .mapToLong(TaskStat::tokens)
            .sum();
    RunReport report =
        ReportBuilder.build(
            manifest,
            slotLocations,
            out.count(),
            tokens,
            wallNanos,
            recorder.layerNanos(),
            stats.value(),
            config.topK(),
            config.hiddenSize());
    return new MoeInference.MoeRun(
        spark.createDataFrame(out, OutputSchema.of(id, options.kind())), report);
  }

  /** One slot per GPU when executors have GPUs, else one per task slot of the cluster. */
  private static int defaultSlots(SparkSession spark, List<ExecutorSlot> executors) {
    long gpus = executors.stream().filter(e -> e.gpuAddress() != null).count();
    return gpus > 0 ? (int) gpus : spark.sparkContext().defaultParallelism();
  }

  /** Slot s is pinned to executor s mod executors: with one GPU per executor, one slot per GPU. */
  private static List<String> slotLocations(List<ExecutorSlot> executors, int numSlots) {
    List<String> locations = new ArrayList<>(numSlots);
    for (int slot = 0; slot < numSlots; slot++) {
      locations.add(executors.get(slot % executors.size()).taskLocation());
    }
    return locations;
  }
}
