package dev.sparkmoe.spark.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.forward.ReferenceForward;
import dev.sparkmoe.core.generate.TokenGenerator;
import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.spark.SparkTestSession;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Service mode in local mode with enough task slots for its barrier stage: every position's final
 * hidden state equals, bit for bit, the single-process reference and the shuffle mode's, for
 * several placements, owner partition counts and micro-batch counts; auto picks the service only
 * when the servers and an owner fit the cluster's task slots, and an explicit service that does not
 * fit fails before any task, saying what it needs.
 */
class ServiceModeTest {
  private static final int CORES = 18;
  private static final int ROWS = 40;

  @TempDir static Path temp;
  private static SparkSession spark;
  private static String model;
  private static Dataset<Row> input;
  private static Map<Long, float[][]> reference;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.startWithKryo("ServiceModeTest", CORES);
    model = ModelFixtures.tinyMixtral(temp.resolve("model")).toString();
    TokenGenerator generator = new TokenGenerator(System.nanoTime(), 1, 24, 512);
    List<int[]> tokens = new ArrayList<>();
    for (long id = 0; id < ROWS; id++) {
      tokens.add(generator.tokens(id));
    }
    input = table(tokens);
    reference = referenceStates(tokens);
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  @ParameterizedTest(name = "{0} over {1} slots, {2} owner partitions, {3} micro-batches")
  @CsvSource({
    "shared-layers, 2, 1, 2",
    "shared-layers, 2, 3, 1",
    "shared-layers, 4, 3, 4",
    "colocate:4, 4, 2, 2",
    "colocate:4, 4, 5, 3",
    "one-per-gpu, 16, 2, 2"
  })
  void serviceEqualsTheReferenceAndTheShuffleBitForBit(
      String placement, int slots, int partitions, int microBatches) {
    MoeInference base =
        MoeInference.of(model)
            .kind("hidden")
            .placement(placement)
            .slots(slots)
            .partitions(partitions)
            .option("service.micro-batches", Integer.toString(microBatches));
    MoeInference.MoeRun service = base.mode("service").run(input);
    Map<Long, float[][]> served = hiddenStates(service);
    Map<Long, float[][]> shuffled = hiddenStates(base.mode("shuffle").run(input));

    RunReport.Exchange exchange = service.report().exchange();
    assertThat(exchange.mode()).isEqualTo("service");
    assertThat(exchange.serviceLayers())
        .as("one service entry per layer, each with answered requests")
        .hasSize(2)
        .allMatch(
            l -> l.requests() > 0 && l.computations() > 0 && l.computations() <= l.requests());
    assertThat(served).hasSize(ROWS);
    for (Map.Entry<Long, float[][]> row : reference.entrySet()) {
      float[][] actual = served.get(row.getKey());
      assertThat(actual.length).isEqualTo(row.getValue().length);
      for (int t = 0; t < actual.length; t++) {
        assertThat(actual[t])
            .as("row %d position %d: service vs the reference forward", row.getKey(), t)
            .containsExactly(row.getValue()[t]);
        assertThat(actual[t])
            .as("row %d position %d: service vs shuffle", row.getKey(), t)
            .containsExactly(shuffled.get(row.getKey())[t]);
      }
    }
  }

  @Test
  void autoPicksTheServiceOnlyWhenServersAndAnOwnerFitTheTaskSlots() {
    MoeInference auto = MoeInference.of(model).placement("shared-layers").partitions(2);
    RunReport.Exchange fits = auto.slots(CORES - 1).run(input).report().exchange();
    assertThat(fits.mode()).as(fits.reason()).isEqualTo("service");
    assertThat(fits.reason()).contains(CORES + " task slots").contains((CORES - 1) + " expert");

    RunReport.Exchange tooMany = auto.slots(CORES).run(input).report().exchange();
    assertThat(tooMany.mode()).as(tooMany.reason()).isEqualTo("shuffle");
    assertThat(tooMany.serviceLayers()).isEmpty();
  }

  @Test
  void serviceThatDoesNotFitTheTaskSlotsFailsSayingWhatItNeeds() {
    MoeInference tooMany =
        MoeInference.of(model).placement("shared-layers").slots(CORES).mode("service");
    assertThatThrownBy(() -> tooMany.run(input))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot run mode service: it needs %d task slots at once (%d expert servers + 1 owner)"
                + " and the cluster has %d (add executors or cores, lower spark.moe.slots, or set"
                + " spark.moe.mode to shuffle)",
            CORES + 1, CORES, CORES);
  }

  @Test
  void serviceRefusesInTaskAndExpertCapacityNamingTheFix() {
    assertThatThrownBy(() -> MoeInference.of(model).placement("in-task").mode("service").run(input))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Invalid mode service with placement in-task");
    assertThatThrownBy(
            () -> MoeInference.of(model).slots(2).mode("service").capacityFactor(1.5).run(input))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Invalid capacity-factor with mode service");
  }

  private static Map<Long, float[][]> hiddenStates(MoeInference.MoeRun run) {
    Map<Long, float[][]> out = new HashMap<>();
    for (Row row : run.rows().collectAsList()) {
      List<scala.collection.Seq<Float>> positions = row.getList(1);
      float[][] states = new float[positions.size()][];
      for (int t = 0; t < states.length; t++) {
        scala.collection.Seq<Float> values = positions.get(t);
        states[t] = new float[values.size()];
        for (int i = 0; i < states[t].length; i++) {
          states[t][i] = values.apply(i);
        }
      }
      out.put(row.getLong(0), states);
    }
    return out;
  }

  private static Map<Long, float[][]> referenceStates(List<int[]> tokens) {
    try (MoeModel opened = MoeModel.open(Path.of(model))) {
      ReferenceForward forward =
          new ReferenceForward(opened, opened.loadDense(), new CpuExpertBackend());
      FinalHidden states = forward.run(tokens);
      Map<Long, float[][]> out = new HashMap<>();
      for (int r = 0; r < tokens.size(); r++) {
        out.put((long) r, forward.head().hidden(states, r));
      }
      return out;
    }
  }

  private static Dataset<Row> table(List<int[]> tokens) {
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType, false)
            .add("tokens", DataTypes.createArrayType(DataTypes.IntegerType, false), true);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < tokens.size(); i++) {
      rows.add(RowFactory.create((long) i, tokens.get(i)));
    }
    return spark.createDataFrame(rows, schema).repartition(4);
  }
}
