package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.exchange.OwnerSide;
import dev.sparkmoe.core.forward.OutputHead;
import dev.sparkmoe.core.generate.Generation;
import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.pipeline.OwnerState;
import dev.sparkmoe.core.service.MicroBatchForward;
import dev.sparkmoe.core.service.ServiceExchange;
import dev.sparkmoe.core.service.ServiceOptions;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.TaskContext;

/**
 * A scalar call's forward through the expert service: the owner side of {@link ServiceOwnerTask}
 * over one batch of rows, every layer's experts computed by the query's servers ({@link
 * ScalarService}).
 *
 * <p>Not thread-safe; one per task.
 */
final class ServiceForward implements ScalarForward {
  private final PipelineManifest manifest;
  private final RegistryEndpoint registry;
  private final ExecutorRuntime runtime;

  private ServiceForward(PipelineManifest manifest, RegistryEndpoint registry) {
    this.manifest = manifest;
    this.registry = registry;
    this.runtime = manifest.runtime();
  }

  /**
   * Where tasks open a forward through the servers that report to {@code registry}.
   *
   * @param manifest the model and placement the servers run
   * @param reason why the service runs, for EXPLAIN
   */
  record Source(PipelineManifest manifest, RegistryEndpoint registry, String reason)
      implements ScalarForward.Source {
    private static final long serialVersionUID = 1L;

    @Override
    public ScalarForward open() {
      return new ServiceForward(manifest, registry);
    }

    @Override
    public String explain() {
      return "service (" + reason + ")";
    }
  }

  /** Generation through the service is another piece of work; analysis refuses it before here. */
  @Override
  public List<Generation> generate(
      List<Object> ids, List<int[]> prompts, GenerateSettings settings) {
    throw new UnsupportedOperationException(
        "Cannot run moe_generate through the expert service: not built yet");
  }

  @Override
  public ModelConfig config() {
    return runtime.model().config();
  }

  @Override
  public InTaskForward.Outputs run(List<int[]> tokens) {
    List<Object> ids = new ArrayList<>(tokens.size());
    for (int r = 0; r < tokens.size(); r++) {
      ids.add((long) r);
    }
    OwnerSide side = OwnerTasks.side(manifest, runtime);
    OwnerState state = side.embed(OwnerTasks.partition(), ids, tokens);
    ServiceOptions options = manifest.service().options();
    RegistryAddresses addresses = new RegistryAddresses(registry, options.connectTimeout());
    try (ServiceExchange exchange =
        new ServiceExchange(addresses, options, TaskContext.get().attemptNumber())) {
      new MicroBatchForward(side, exchange, options.microBatches())
          .forward(state, manifest.placement().numLayers());
    }
    OutputHead head = new OutputHead(config(), runtime.dense().lmHead());
    int[] stateRow = new int[tokens.size()];
    for (int k = 0; k < stateRow.length; k++) {
      stateRow[(int) (long) (Long) state.ids()[k]] = k;
    }
    return new InTaskForward.Outputs(
        head, side.finish(state), tokens.toArray(int[][]::new), stateRow);
  }
}
