package dev.sparkmoe.spark.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.forward.ReferenceForward;
import dev.sparkmoe.core.generate.TokenGenerator;
import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.spark.SparkTestSession;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Bit-identical outputs whatever the token-owner partitioning and the placement: every position's
 * final hidden state ({@code --kind hidden}) of every row equals, bit for bit, the single-process
 * reference forward run over all rows in one batch. Expert batches then hold other tokens in each
 * run (and span several GEMM row blocks with the 1000 tokens here), so this fails if any product's
 * rows depend on their batch.
 */
class PartitionDeterminismTest {
  private static final int ROWS = 80;

  @TempDir static Path temp;
  private static SparkSession spark;
  private static String model;
  private static Dataset<Row> input;
  private static Map<Long, float[][]> reference;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.startWithKryo("PartitionDeterminismTest");
    model = ModelFixtures.tinyMixtral(temp.resolve("model")).toString();
    long seed = System.nanoTime();
    List<int[]> tokens = new ArrayList<>();
    TokenGenerator generator = new TokenGenerator(seed, 1, 24, 512);
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

  @ParameterizedTest(name = "{0} over {1} slots, {2} owner partitions")
  @CsvSource({
    "shared-layers, 2, 1", "shared-layers, 2, 2", "shared-layers, 2, 3", "shared-layers, 2, 5",
    "colocate:4, 4, 1", "colocate:4, 4, 2", "colocate:4, 4, 3", "colocate:4, 4, 5"
  })
  void hiddenStatesEqualTheReferenceBitForBit(String placement, int slots, int partitions) {
    Map<Long, float[][]> out =
        hiddenStates(
            MoeInference.of(model)
                .output("hidden")
                .placement(placement)
                .slots(slots)
                .partitions(partitions)
                .run(input));
    assertThat(out).hasSize(ROWS);
    for (Map.Entry<Long, float[][]> row : reference.entrySet()) {
      float[][] actual = out.get(row.getKey());
      assertThat(actual.length)
          .as("positions of row %d", row.getKey())
          .isEqualTo(row.getValue().length);
      for (int t = 0; t < actual.length; t++) {
        assertThat(actual[t])
            .as("row %d position %d, %s, %d partitions", row.getKey(), t, placement, partitions)
            .containsExactly(row.getValue()[t]);
      }
    }
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

  /** The reference forward over every row in one batch: another grouping than any run's. */
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
      rows.add(RowFactory.create((long) i, Arrays.copyOf(tokens.get(i), tokens.get(i).length)));
    }
    return spark.createDataFrame(rows, schema).repartition(4);
  }
}
