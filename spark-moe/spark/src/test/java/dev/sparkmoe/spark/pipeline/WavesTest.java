package dev.sparkmoe.spark.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.forward.ReferenceForward;
import dev.sparkmoe.core.generate.TokenGenerator;
import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.spark.SparkTestSession;
import dev.sparkmoe.spark.sql.InferenceFixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
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

/**
 * Waves ({@code wave-rows}): outputs bit-identical whatever the wave size, the report summed over
 * the waves and showing their count and the heap high-water; and a router that sends every token to
 * expert 0, which completes and shows the skew per expert and per slot.
 */
class WavesTest {
  private static final int ROWS = 60;

  @TempDir static Path temp;
  private static SparkSession spark;
  private static String model;
  private static List<int[]> tokens;
  private static Dataset<Row> input;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.startWithKryo("WavesTest");
    model = ModelFixtures.tinyMixtral(temp.resolve("model")).toString();
    TokenGenerator generator = new TokenGenerator(System.nanoTime(), 1, 24, 512);
    tokens = new ArrayList<>();
    for (long id = 0; id < ROWS; id++) {
      tokens.add(generator.tokens(id));
    }
    input = table(tokens);
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  @Test
  void outputsAreBitIdenticalAcrossWaveSizes() {
    MoeInference base = MoeInference.of(model).output("hidden").partitions(2);
    MoeInference.MoeRun whole = base.run(input);
    Map<Long, float[][]> expected = hiddenStates(whole);
    assertThat(expected).hasSize(ROWS);
    for (int waveRows : new int[] {7, 25}) {
      MoeInference.MoeRun waved = base.waveRows(waveRows).run(input);
      Map<Long, float[][]> actual = hiddenStates(waved);
      assertThat(actual.keySet()).as("every row once").isEqualTo(expected.keySet());
      for (long id : expected.keySet()) {
        assertThat(actual.get(id))
            .as("row %d with waves of %d rows", id, waveRows)
            .isDeepEqualTo(expected.get(id));
      }
      assertSameLoad(waved.report(), whole.report());
      assertThat(waved.report().memory().waves())
          .as("waves of %d rows over %d rows", waveRows, ROWS)
          .isEqualTo((ROWS + waveRows - 1) / waveRows);
      assertThat(waved.report().memory().waveRows()).isEqualTo(waveRows);
    }
    assertThat(whole.report().memory().waves()).isEqualTo(1);
    assertThat(whole.report().memory().waveRows()).as("0: one wave").isZero();
  }

  @Test
  void reportShowsTheHeapHighWater() {
    RunReport.Memory memory = MoeInference.of(model).waveRows(20).run(input).report().memory();
    assertThat(memory.jvms()).extracting(RunReport.Heap::executorId).containsExactly("driver");
    RunReport.Heap driver = memory.jvms().get(0);
    assertThat(driver.maxHeapBytes()).isEqualTo(Runtime.getRuntime().maxMemory());
    assertThat(driver.peakHeapBytes())
        .isEqualTo(memory.peakHeapBytes())
        .isPositive()
        .isLessThanOrEqualTo(driver.maxHeapBytes());
    assertThat(driver.peakLiveHeapBytes())
        .isEqualTo(memory.peakLiveHeapBytes())
        .isLessThanOrEqualTo(driver.peakHeapBytes());
    assertThat(memory.toString()).contains("waves=3");
  }

  /**
   * An all-zero router gives every expert the same score, and top-k breaks ties by the lower index:
   * every token goes to experts 0 and 1, so slot 0 (experts 0, 2, 4, 6 under shared-layers over 2
   * slots) gets every token and slot 1 every token once more.
   */
  @Test
  void everyTokenToExpertZeroCompletesAndShowsTheSkew() throws IOException {
    Path skewed = zeroRouters(ModelFixtures.tinyMixtral(temp.resolve("skewed")));
    MoeInference.MoeRun run =
        MoeInference.of(skewed.toString())
            .placement("shared-layers")
            .slots(2)
            .partitions(3)
            .waveRows(25)
            .run(input);
    long total = tokens.stream().mapToLong(t -> t.length).sum();
    for (RunReport.Layer layer : run.report().layers()) {
      assertThat(layer.tokensPerExpert())
          .as("layer %d: every token to experts 0 and 1", layer.layer())
          .containsExactly(total, total, 0, 0, 0, 0, 0, 0);
      assertThat(layer.slots())
          .extracting(RunReport.SlotRun::slot, RunReport.SlotRun::tokens)
          .as("layer %d: pairs per slot", layer.layer())
          .containsExactly(tuple(0, total), tuple(1, total));
    }
    Map<Long, float[]> embeddings = embeddings(run);
    Map<Long, float[]> reference = referenceEmbeddings(skewed);
    assertThat(embeddings.keySet()).isEqualTo(reference.keySet());
    for (long id : reference.keySet()) {
      assertThat(embeddings.get(id)).as("row %d", id).containsExactly(reference.get(id));
    }
  }

  @Test
  void waveRowsMustBePositive() {
    assertThatThrownBy(() -> MoeInference.of(model).waveRows(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid wave-rows: 0 (expected: a positive integer)");
    assertThatThrownBy(() -> MoeInference.of(model).option("wave-rows", "many"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid wave-rows: many (expected: a positive integer)");
  }

  /** Overwrites every router weight of a generated F32 checkpoint with zeros, in place. */
  private static Path zeroRouters(Path modelDir) throws IOException {
    Path file = modelDir.resolve("model.safetensors");
    try (FileChannel channel =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      channel.read(length, 0);
      int headerLength = (int) length.getLong(0);
      ByteBuffer header = ByteBuffer.allocate(headerLength);
      channel.read(header, 8);
      JsonNode tensors = new ObjectMapper().readTree(header.array());
      int zeroed = 0;
      for (Iterator<Map.Entry<String, JsonNode>> it = tensors.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> tensor = it.next();
        if (tensor.getKey().endsWith("block_sparse_moe.gate.weight")) {
          long begin = tensor.getValue().get("data_offsets").get(0).asLong();
          long end = tensor.getValue().get("data_offsets").get(1).asLong();
          channel.write(ByteBuffer.allocate((int) (end - begin)), 8 + headerLength + begin);
          zeroed++;
        }
      }
      assertThat(zeroed).as("router tensors, one per layer").isEqualTo(2);
    }
    return modelDir;
  }

  private static void assertSameLoad(RunReport waved, RunReport whole) {
    assertThat(waved.rows()).isEqualTo(whole.rows());
    assertThat(waved.tokens()).isEqualTo(whole.tokens());
    for (int layer = 0; layer < whole.layers().size(); layer++) {
      RunReport.Layer expected = whole.layers().get(layer);
      RunReport.Layer actual = waved.layers().get(layer);
      assertThat(actual.tokensPerExpert())
          .as("layer %d: tokens per expert summed over the waves", layer)
          .containsExactly(expected.tokensPerExpert());
      assertThat(actual.slots())
          .extracting(RunReport.SlotRun::tokens)
          .as("layer %d: pairs per slot summed over the waves", layer)
          .isEqualTo(expected.slots().stream().map(RunReport.SlotRun::tokens).toList());
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
      assertThat(out.put(row.getLong(0), states)).as("row %d once", row.getLong(0)).isNull();
    }
    return out;
  }

  private static Map<Long, float[]> referenceEmbeddings(Path modelPath) {
    try (MoeModel opened = MoeModel.open(modelPath)) {
      ReferenceForward forward =
          new ReferenceForward(opened, opened.loadDense(), new CpuExpertBackend());
      FinalHidden states = forward.run(tokens);
      Map<Long, float[]> out = new HashMap<>();
      for (int r = 0; r < tokens.size(); r++) {
        out.put((long) r, forward.head().embedding(states, r));
      }
      return out;
    }
  }

  private static Dataset<Row> table(List<int[]> rows) {
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType, false)
            .add("tokens", DataTypes.createArrayType(DataTypes.IntegerType, false), true);
    List<Row> out = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      out.add(RowFactory.create((long) i, rows.get(i)));
    }
    return spark.createDataFrame(out, schema).repartition(3);
  }

  private static Map<Long, float[]> embeddings(MoeInference.MoeRun run) {
    return InferenceFixtures.embeddingsById(run.rows());
  }
}
