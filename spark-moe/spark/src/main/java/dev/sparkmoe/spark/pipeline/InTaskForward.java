package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.exchange.InTaskSide;
import dev.sparkmoe.core.forward.DecoderLoop;
import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.forward.OutputHead;
import dev.sparkmoe.core.generate.BatchGenerator;
import dev.sparkmoe.core.generate.Generation;
import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.nn.ComputeDtype;
import dev.sparkmoe.core.pipeline.OwnerState;
import dev.sparkmoe.core.pipeline.TokenOwner;
import dev.sparkmoe.core.placement.PlacementPlan;
import dev.sparkmoe.core.placement.PlacementPolicy;
import java.io.Serializable;
import java.util.List;

/**
 * The in-task forward of one batch of rows on this executor's resident model: the same embedding,
 * {@link InTaskSide} and {@link OutputHead} as {@link InTaskTask}, so a row's outputs are those of
 * {@code moe infer --placement in-task}. The scalar SQL functions call it once per batch.
 *
 * <p>Not thread-safe; one per task. Inside a Spark task the executor's runtime stays open until the
 * task completes.
 */
public final class InTaskForward implements ScalarForward {
  private final Model model;
  private final ExecutorRuntime runtime;
  private final PlacementPlan placement;
  private final OutputHead head;

  /**
   * The model a forward runs, shipped in task closures.
   *
   * @param path model directory, readable from every executor
   * @param backend expert backend name
   * @param computeDtype dtype the expert FFNs compute in
   */
  public record Model(String path, String backend, ComputeDtype computeDtype)
      implements Serializable {}

  /** Where tasks open the in-task forward of {@code model}. */
  public static ScalarForward.Source source(Model model) {
    return new InTaskSource(model);
  }

  private record InTaskSource(Model model) implements ScalarForward.Source {
    private static final long serialVersionUID = 1L;

    @Override
    public ScalarForward open() {
      return InTaskForward.open(model);
    }

    @Override
    public String explain() {
      return "in-task";
    }
  }

  private InTaskForward(Model model, ExecutorRuntime runtime) {
    this.model = model;
    this.runtime = runtime;
    ModelConfig config = runtime.model().config();
    this.placement =
        PlacementPlan.of(
            PlacementPolicy.IN_TASK, config.numLayers(), config.numExperts(), /* numSlots= */ 1);
    this.head = new OutputHead(config, runtime.dense().lmHead());
  }

  /** The forward of {@code model} with this executor's runtime; layers 0 and 1 start loading. */
  public static InTaskForward open(Model model) {
    ExecutorRuntime runtime =
        ExecutorRuntime.get(model.path(), model.backend(), model.computeDtype());
    runtime.prefetchLayer(0);
    runtime.prefetchLayer(1);
    return new InTaskForward(model, runtime);
  }

  @Override
  public ModelConfig config() {
    return runtime.model().config();
  }

  /**
   * Runs every layer over {@code tokens} (each row at least one valid token, as {@link
   * dev.sparkmoe.core.forward.TokenRows#check} allows).
   */
  @Override
  public Outputs run(List<int[]> tokens) {
    Object[] ids = new Object[tokens.size()];
    for (int r = 0; r < ids.length; r++) {
      ids[r] = (long) r;
    }
    int[][] rows = tokens.toArray(int[][]::new);
    OwnerState state =
        new TokenOwner(config(), runtime.dense(), placement)
            .embed(OwnerTasks.partition(), ids, rows);
    InTaskSide side = side(runtime);
    side.forward(state, /* skippedRows= */ 0);
    return Outputs.inOrder(head, side.finish(state), rows);
  }

  /**
   * Generates for {@code prompts} (each at least one valid token) as {@code --kind generate}
   * in-task does; a seeded row's generator is keyed by its {@code id}, as there.
   */
  @Override
  public List<Generation> generate(
      List<Object> ids, List<int[]> prompts, GenerateSettings settings) {
    List<BatchGenerator.Request> requests = new java.util.ArrayList<>(prompts.size());
    for (int r = 0; r < prompts.size(); r++) {
      requests.add(new BatchGenerator.Request(ids.get(r), prompts.get(r), settings.sampling()));
    }
    InTaskSide.LayerStats[] layers = new InTaskSide.LayerStats[config().numLayers()];
    return InTaskGenerate.generate(
            runtime, model.path(), settings.kvCacheMemoryBytes(), requests, layers)
        .generations();
  }

  /** The in-task side over the runtime's resident experts, the next layer prefetched. */
  static InTaskSide side(ExecutorRuntime runtime) {
    return new InTaskSide(
        new DecoderLoop(runtime.model().config(), runtime.dense()),
        runtime.backend(),
        runtime::resident,
        runtime::prefetchLayer);
  }

  /**
   * A batch's final hidden states and what each output kind makes of input row {@code r}.
   *
   * @param tokens the input rows' tokens, in input order
   * @param stateRow per input row, its row in {@code hidden} (the owner may order rows its own way)
   */
  @SuppressWarnings("ArrayRecordComponent") // read-only outputs of one batch
  public record Outputs(OutputHead head, FinalHidden hidden, int[][] tokens, int[] stateRow) {
    /** Outputs whose hidden rows are in input order. */
    static Outputs inOrder(OutputHead head, FinalHidden hidden, int[][] tokens) {
      return new Outputs(
          head, hidden, tokens, java.util.stream.IntStream.range(0, tokens.length).toArray());
    }

    public float[] embedding(int r) {
      return head.embedding(hidden, stateRow[r]);
    }

    public OutputHead.Score score(int r) {
      return head.score(hidden, stateRow[r], tokens[r]);
    }

    public OutputHead.NextToken nextToken(int r) {
      return head.nextToken(hidden, stateRow[r]);
    }
  }
}
