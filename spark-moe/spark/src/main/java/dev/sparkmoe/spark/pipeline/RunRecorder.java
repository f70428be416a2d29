package dev.sparkmoe.spark.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Driver side: times each layer and logs a one-line progress summary as it completes. */
final class RunRecorder {
  private static final Logger LOG = LoggerFactory.getLogger(RunRecorder.class);

  private final int layers;
  private final List<Long> layerNanos = new ArrayList<>();

  RunRecorder(int layers) {
    this.layers = layers;
  }

  void layerDone(int layer, long nanos, List<TaskStat> stats) {
    layerNanos.add(nanos);
    LayerSummary summary = LayerSummary.of(layer, nanos, TaskStats.latest(stats));
    LOG.info(
        String.format(
            Locale.ROOT,
            "spark-moe: layer %d/%d in %.2f s: %d token-expert pairs to %d slots (balance %.2f),"
                + " dispatched %.1f MB, combined %.1f MB, expert compute %.2f s (blocked on input %.2f s),"
                + " expert load %.2f s",
            layer + 1,
            layers,
            nanos / 1e9,
            summary.pairs(),
            summary.expertTasks().size(),
            summary.balance(),
            summary.bytesDispatched() / 1e6,
            summary.bytesCombined() / 1e6,
            summary.expertComputeNanos() / 1e9,
            summary.expertWaitNanos() / 1e9,
            summary.expertLoadNanos() / 1e9));
  }

  List<Long> layerNanos() {
    return List.copyOf(layerNanos);
  }
}
