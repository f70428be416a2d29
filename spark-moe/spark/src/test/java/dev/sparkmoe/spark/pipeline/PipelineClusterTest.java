package dev.sparkmoe.spark.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.forward.ReferenceForward;
import dev.sparkmoe.core.generate.TokenGenerator;
import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.placement.PlacementPlan;
import dev.sparkmoe.core.placement.PlacementPolicy;
import dev.sparkmoe.spark.LocalClusterSession;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The pipeline on a real multi-process cluster: 4 executor JVMs, each with its own (fake) GPU.
 * Every expert task must run on the executor its slot is pinned to and see that executor's GPU;
 * every hosted expert is loaded once per executor; results equal the reference forward.
 */
class PipelineClusterTest {
  private static final int EXECUTORS = 4;
  private static final int ROWS = 24;

  @TempDir static Path temp;
  private static SparkSession spark;
  private static String model;
  private static String threeLayers;

  @BeforeAll
  static void start() {
    spark =
        LocalClusterSession.start(
            "PipelineClusterTest",
            EXECUTORS,
            Map.of(
                "spark.plugins",
                FaultPlugin.class.getName(),
                FaultPlugin.DIR,
                faults().toString()));
    model = ModelFixtures.tinyMixtral(temp.resolve("model")).toString();
    threeLayers =
        ModelFixtures.write(
                ModelFixtures.tiny().toBuilder().layers(3).seed(7).build(), temp.resolve("three"))
            .toString();
  }

  private static Path faults() {
    return temp.resolve("faults");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  void expertTasksRunPinnedWithTheirGpuAndLoadEachExpertOnce() {
    MoeInference.MoeRun run =
        MoeInference.of(model).placement("shared-layers").partitions(3).run(input());
    RunReport report = run.report();
    assertThat(report.slotLocations()).as("one slot per executor GPU").hasSize(EXECUTORS);

    Map<String, String> gpuOfExecutor = new HashMap<>();
    for (RunReport.Layer layer : report.layers()) {
      assertThat(layer.slots()).hasSize(EXECUTORS);
      for (RunReport.SlotRun slot : layer.slots()) {
        assertThat(report.slotLocations().get(slot.slot()))
            .as("layer %d, slot %d ran on its pinned executor", layer.layer(), slot.slot())
            .endsWith("_" + slot.executorId());
        assertThat(slot.gpuAddress()).as("slot %d saw a GPU", slot.slot()).isNotNull();
        String previous = gpuOfExecutor.putIfAbsent(slot.executorId(), slot.gpuAddress());
        assertThat(previous == null || previous.equals(slot.gpuAddress())).isTrue();
      }
    }
    assertThat(new HashSet<>(gpuOfExecutor.values()))
        .as("distinct GPU per executor")
        .hasSize(EXECUTORS);

    PlacementPlan plan = PlacementPlan.of(PlacementPolicy.SHARED_LAYERS, 2, 8, EXECUTORS);
    for (RunReport.Executor executor : report.executors()) {
      int slot = slotOf(report, executor.executorId());
      Set<String> hosted = new HashSet<>();
      for (RunReport.Layer layer : report.layers()) {
        for (int expert : plan.expertsOn(layer.layer(), slot)) {
          if (layer.tokensPerExpert()[expert] > 0) {
            hosted.add(layer.layer() + "/" + expert);
          }
        }
      }
      assertThat(executor.expertLoads())
          .as("executor %s loads each expert it hosts once: %s", executor.executorId(), hosted)
          .isEqualTo(hosted.size());
    }
    assertResultsMatchReference(run);
  }

  @Test
  void inTaskRunsOnEveryExecutorAndLoadsEachExpertOncePerExecutor() {
    // A copy of the model of its own, so the executors' expert counts are this test's.
    String copy = ModelFixtures.tinyMixtral(temp.resolve("in-task")).toString();
    MoeInference.MoeRun run = MoeInference.of(copy).placement("in-task").partitions(6).run(input());
    RunReport report = run.report();
    assertThat(report.placement()).startsWith("in-task");
    assertThat(report.executors()).as("executors that ran an in-task task").isNotEmpty();
    for (RunReport.Executor executor : report.executors()) {
      assertThat(executor.expertLoads())
          .as(
              "executor %s loads each of 2 x 8 experts once, its tasks and prefetches sharing them",
              executor.executorId())
          .isEqualTo(16);
    }
    Map<Long, List<Float>> shuffled =
        byId(
            MoeInference.of(copy)
                .placement("shared-layers")
                .partitions(3)
                .run(input())
                .rows()
                .collectAsList());
    assertThat(byId(run.rows().collectAsList()))
        .as("in-task on 4 executors vs shared-layers, bit for bit")
        .isEqualTo(shuffled);
    assertResultsMatchReference(run);
  }

  /**
   * A lost executor in the expert stage of the middle layer, and failed tasks in the token-owner
   * stage and in the final combine: Spark recomputes what was lost, and the output has every row
   * once with the values of a fault-free run, bit for bit. The test plugin's marker proves that
   * each fault fired.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"expert:1:0:exit", "owner:1:1:throw", "last:0:2:throw"})
  void faultsChangeNothing(String fault) {
    MoeInference inference = MoeInference.of(threeLayers).partitions(3);
    Map<Long, List<Float>> clean = byId(inference.run(input()).rows().collectAsList());
    FaultPlugin.arm(faults(), fault);
    MoeInference.MoeRun run;
    String fired;
    try {
      run = inference.run(input());
    } finally {
      fired = FaultPlugin.disarm(faults());
    }
    String[] point = fault.split(":");
    String task =
        point[0].equals("last")
            ? "last:-1:" + point[2]
            : point[0] + ":" + point[1] + ":" + point[2];
    assertThat(fired)
        .as("the fault fired, in the first attempt of the chosen task")
        .startsWith(task + " on executor ")
        .endsWith(", attempt 0");
    List<Row> faulty = run.rows().collectAsList();
    if (fault.endsWith(":exit")) {
      assertThat(run.report().layers().get(2).slots())
          .as("the lost executor's slot moved to another executor, which loaded its experts")
          .anyMatch(slot -> !slot.pinned());
    }
    assertThat(faulty)
        .extracting(r -> r.getLong(0))
        .as("every row exactly once")
        .doesNotHaveDuplicates()
        .hasSize(ROWS);
    assertThat(byId(faulty)).as("same values as the fault-free run").isEqualTo(clean);
  }

  /**
   * Service mode on 4 one-slot executors: 3 expert servers and 1 owner slot. An expert server's
   * executor lost while computing the middle layer (Spark relaunches the whole barrier stage, the
   * owner waits for the new addresses and resends), or the owner task failing after every layer was
   * served (Spark retries it, its requests under a new attempt): every row once, with the values of
   * the fault-free shuffle run, bit for bit; the marker proves the fault fired.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"server:1:1:exit", "last:0:0:throw"})
  void serviceFaultsChangeNothing(String fault) {
    MoeInference inference = MoeInference.of(threeLayers).slots(EXECUTORS - 1).partitions(1);
    Map<Long, List<Float>> clean =
        byId(inference.mode("shuffle").run(input()).rows().collectAsList());
    FaultPlugin.arm(faults(), fault);
    MoeInference.MoeRun run;
    String fired;
    try {
      run = inference.mode("service").run(input());
    } finally {
      fired = FaultPlugin.disarm(faults());
    }
    String[] point = fault.split(":");
    String task = point[0].equals("last") ? "last:-1:" + point[2] : "server:1:1";
    assertThat(fired)
        .as("the fault fired, in the first attempt of the chosen task")
        .startsWith(task + " on executor ")
        .endsWith(", attempt 0");
    assertThat(run.report().exchange().mode()).isEqualTo("service");
    List<Row> faulty = run.rows().collectAsList();
    assertThat(faulty)
        .extracting(r -> r.getLong(0))
        .as("every row exactly once")
        .doesNotHaveDuplicates()
        .hasSize(ROWS);
    assertThat(byId(faulty)).as("same values as the fault-free shuffle run").isEqualTo(clean);
  }

  @Test
  void serviceOnTooFewTaskSlotsFailsSayingHowManyItNeeds() {
    MoeInference tooMany =
        MoeInference.of(model).placement("shared-layers").slots(EXECUTORS).mode("service");
    assertThatThrownBy(() -> tooMany.run(input()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(
            "Cannot run mode service: it needs 5 task slots at once (4 expert servers + 1 owner)"
                + " and the cluster has 4");
  }

  private static Map<Long, List<Float>> byId(List<Row> rows) {
    Map<Long, List<Float>> out = new HashMap<>();
    for (Row row : rows) {
      out.put(row.getLong(0), row.getList(1));
    }
    return out;
  }

  private static int slotOf(RunReport report, String executorId) {
    for (int slot = 0; slot < report.slotLocations().size(); slot++) {
      if (report.slotLocations().get(slot).endsWith("_" + executorId)) {
        return slot;
      }
    }
    throw new AssertionError("No slot is pinned to executor " + executorId);
  }

  private static void assertResultsMatchReference(MoeInference.MoeRun run) {
    try (MoeModel opened = MoeModel.open(Path.of(model))) {
      ReferenceForward forward =
          new ReferenceForward(opened, opened.loadDense(), new CpuExpertBackend());
      for (Row row : run.rows().collectAsList()) {
        int[] tokens = tokens(row.getLong(0));
        FinalHidden states = forward.run(List.of(tokens));
        float[] expected = forward.head().embedding(states, 0);
        List<Float> actual = row.getList(1);
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
          diff += Math.pow(actual.get(i) - expected[i], 2);
          norm += Math.pow(expected[i], 2);
        }
        assertThat(Math.sqrt(diff / norm)).as("row %d", row.getLong(0)).isLessThan(1e-5);
      }
    }
  }

  private static int[] tokens(long id) {
    return new TokenGenerator(17, 2, 20, 512).tokens(id);
  }

  private static Dataset<Row> input() {
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType, false)
            .add("tokens", DataTypes.createArrayType(DataTypes.IntegerType, false), false);
    List<Row> rows = new ArrayList<>();
    for (long id = 0; id < ROWS; id++) {
      rows.add(RowFactory.create(id, tokens(id)));
    }
    return spark.createDataFrame(rows, schema);
  }
}
