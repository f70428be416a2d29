package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.exchange.InTaskSide;
import dev.sparkmoe.core.forward.DecoderLoop;
import dev.sparkmoe.core.forward.OutputHead;
import dev.sparkmoe.core.forward.OutputKind;
import dev.sparkmoe.core.generate.BatchGenerator;
import dev.sparkmoe.core.generate.Generation;
import dev.sparkmoe.core.generate.GenerationStats;
import dev.sparkmoe.core.model.EosTokens;
import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.spark.infer.OutputRows;
import dev.sparkmoe.spark.infer.RowTokens;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.util.CollectionAccumulator;

/**
 * The in-task task of {@code --kind generate}: reads a partition's rows and their per-row sampling
 * columns, generates for them with continuous batching under the task's KV-cache budget ({@link
 * BatchGenerator}), every expert computed here ({@link InTaskSide}), and returns one output row per
 * input row in input order (null outputs for a row without tokens). Reports per layer an owner and
 * an expert statistic summed over the forward steps, and the generation's statistics.
 */
final class InTaskGenerate {
  private InTaskGenerate() {}

  /** A partition's generation statistics, under its index (a retry reports the same one). */
  record Stat(int partition, GenerationStats stats) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  static Iterator<Row> run(
      PipelineManifest manifest,
      int partition,
      Iterator<Row> rows,
      CollectionAccumulator<TaskStat> stats,
      CollectionAccumulator<Stat> generation) {
    HeapWatermark.join(manifest.runId());
    ExecutorRuntime runtime = manifest.runtime();
    runtime.prefetchLayer(0);
    runtime.prefetchLayer(1);
    ModelConfig config = runtime.model().config();
    GenerateSettings settings = manifest.generate();
    List<Object> ids = new ArrayList<>();
    List<BatchGenerator.Request> requests = new ArrayList<>();
    List<Integer> requestOf = new ArrayList<>();
    long skipped = 0;
    while (rows.hasNext()) {
      Row row = rows.next();
      int[] tokens;
      try {
        tokens = RowTokens.read(row, 1, config);
      } catch (IllegalArgumentException e) {
        if (manifest.invalidTokens() == InvalidTokenPolicy.FAIL) {
          throw e;
        }
        skipped++;
        continue;
      }
      ids.add(row.get(0));
      requestOf.add(tokens == null ? -1 : requests.size());
      if (tokens != null) {
        requests.add(new BatchGenerator.Request(row.get(0), tokens, settings.forRow(row)));
      }
    }
    InTaskSide.LayerStats[] layers = new InTaskSide.LayerStats[config.numLayers()];
    BatchGenerator.Result result =
        generate(runtime, manifest.modelPath(), settings.kvCacheMemoryBytes(), requests, layers);
    report(runtime, partition, layers, skipped, stats);
    generation.add(new Stat(partition, result.stats()));
    List<Row> out = new ArrayList<>(ids.size());
    for (int r = 0; r < ids.size(); r++) {
      int request = requestOf.get(r);
      Generation g = request < 0 ? null : result.generations().get(request);
      out.add(
          g == null
              ? OutputRows.empty(OutputKind.GENERATE, ids.get(r))
              : OutputRows.generated(ids.get(r), g));
    }
    return out.iterator();
  }

  /**
   * Generates for {@code requests} with every expert computed here: what {@code --kind generate}
   * in-task and {@code moe_generate} share.
   *
   * @param layers filled with each layer's statistics, summed over the forward steps
   */
  static BatchGenerator.Result generate(
      ExecutorRuntime runtime,
      String modelPath,
      long kvCacheMemoryBytes,
      List<BatchGenerator.Request> requests,
      InTaskSide.LayerStats[] layers) {
    ModelConfig config = runtime.model().config();
    InTaskSide side =
        new InTaskSide(
            new DecoderLoop(config, runtime.dense()),
            runtime.backend(),
            runtime::resident,
            runtime::prefetchLayer);
    int attentionLayers =
        (int) runtime.dense().layers().stream().filter(l -> l.hasAttention()).count();
    BatchGenerator generator =
        new BatchGenerator(
            config,
            new OutputHead(config, runtime.dense().lmHead()),
            (batch, caches) -> side.forwardCached(batch, caches, layers),
            EosTokens.read(Path.of(modelPath)),
            kvCacheMemoryBytes,
            attentionLayers);
    return generator.generate(requests);
  }

  private static void report(
      ExecutorRuntime runtime,
      int partition,
      InTaskSide.LayerStats[] layers,
      long skipped,
      CollectionAccumulator<TaskStat> stats) {
    String backend = runtime.backend().description();
    for (int layer = 0; layer < layers.length; layer++) {
      InTaskSide.LayerStats l = layers[layer];
      if (l == null) {
        continue; // no row had tokens
      }
      var owner = l.owner();
      if (layer == 0 && skipped > 0) {
        owner = owner.plus(new dev.sparkmoe.core.exchange.OwnerStats(0, 0, 0, 0, skipped));
      }
      stats.add(new TaskStat.Owner(layer, partition, TaskSite.owner(runtime), owner));
      stats.add(
          new TaskStat.Expert(layer, partition, TaskSite.expert(runtime), backend, l.experts()));
    }
  }
}
