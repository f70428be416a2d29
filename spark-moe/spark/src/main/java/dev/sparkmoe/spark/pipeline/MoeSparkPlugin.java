package dev.sparkmoe.spark.pipeline;

import java.util.Map;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives spark-moe's executor state an owner and an end: with {@code
 * spark.plugins=dev.sparkmoe.spark.pipeline.MoeSparkPlugin}, every executor creates its models,
 * backends, resident experts and Arrow allocator when it starts and closes them when it shuts down,
 * where the allocator's leak check runs and a leak is logged as an error. Without the plugin,
 * results are the same: the state is then one per JVM, closed by a shutdown hook.
 *
 * <p>The driver side does nothing.
 */
public final class MoeSparkPlugin implements SparkPlugin {
  @Override
  public DriverPlugin driverPlugin() {
    return null;
  }

  @Override
  public ExecutorPlugin executorPlugin() {
    return new Executor();
  }

  /** Installs an {@link ExecutorState} at {@code init} and closes it at {@code shutdown}. */
  static final class Executor implements ExecutorPlugin {
    private static final Logger LOG = LoggerFactory.getLogger(MoeSparkPlugin.class);

    private ExecutorState state;

    @Override
    public void init(PluginContext context, Map<String, String> extraConf) {
      state = new ExecutorState(ExecutorState.FALLBACK_NAME + "-" + context.executorID());
      ExecutorState.install(state);
    }

    /**
     * @throws IllegalStateException after logging it, if closing failed (Spark logs and ignores
     *     what a plugin's shutdown throws)
     */
    @Override
    public void shutdown() {
      if (state == null) {
        return;
      }
      ExecutorState.uninstall(state);
      try {
        state.close();
      } catch (RuntimeException e) {
        LOG.error("spark-moe executor state {} did not close cleanly", state.name(), e);
        throw e;
      }
    }
  }
}
