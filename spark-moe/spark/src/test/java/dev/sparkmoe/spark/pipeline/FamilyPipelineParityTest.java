package dev.sparkmoe.spark.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.forward.OutputHead;
import dev.sparkmoe.core.generate.TokenGenerator;
import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.oracle.HuggingFaceOracle;
import dev.sparkmoe.core.oracle.OracleAssertions;
import dev.sparkmoe.core.oracle.OracleRow;
import dev.sparkmoe.spark.SparkTestSession;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
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
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Qwen2-MoE, Qwen3-MoE, OLMoE and DeepSeek-V3 (pure MoE layers) through the expert-parallel Spark
 * pipeline (Kryo with registration required, several slots and owner partitions) against {@code
 * transformers}: the F32 and BF16 checkpoints of {@code hf_generate.py} (one Python process for
 * all), 1e-4 relative on embeddings, next-token log-probabilities and scores. Dense layers and
 * shared experts run in the token-owner stage, so this also checks that they survive the exchanges.
 */
class FamilyPipelineParityTest {
  /** The vocabulary of every hf_generate.py model. */
  private static final int VOCAB = 160;

  private static final long EMPTY_ROW = 1000L;

  @TempDir static Path temp;
  private static SparkSession spark;
  private static long seed;
  private static List<int[]> rows;
  private static Dataset<Row> input;
  private static Map<String, HuggingFaceOracle.GeneratedModel> models;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.startWithKryo("FamilyPipelineParityTest");
    seed = new Random().nextLong() >>> 1;
    rows = rows(seed);
    input = table(rows);
    List<String> names = new ArrayList<>();
    for (String family : List.of("qwen2_moe", "qwen3_moe", "olmoe", "deepseek_v3")) {
      names.add(family + "-f32");
      names.add(family + "-bf16");
    }
    models = new HashMap<>();
    for (HuggingFaceOracle.GeneratedModel model :
        HuggingFaceOracle.locate().generate(temp, seed, rows, names)) {
      models.put(model.name(), model);
    }
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"qwen2_moe", "qwen3_moe", "olmoe", "deepseek_v3"})
  void everyOutputKindMatchesTransformers(String family) {
    HuggingFaceOracle.GeneratedModel model = models.get(family + "-f32");
    String label = model.name() + " through Spark (seed " + seed + ")";
    MoeInference inference = MoeInference.of(model.directory().toString()).slots(2).partitions(2);
    Map<Long, Row> embeddings = byId(inference.output("embedding").run(input));
    Map<Long, Row> next = byId(inference.output("next-token").run(input));
    Map<Long, Row> scores = byId(inference.output("score").run(input));
    for (int r = 0; r < rows.size(); r++) {
      OracleRow expected = model.rows().get(r);
      String row = label + ", row " + r + " (" + rows.get(r).length + " tokens)";
      OracleAssertions.assertEmbedding(row, floats(embeddings.get((long) r).getList(1)), expected);
      Row token = next.get((long) r);
      OracleAssertions.assertNextToken(row, token.getInt(1), token.getDouble(2), expected);
      Row score = scores.get((long) r);
      OracleAssertions.assertScore(row, score.getDouble(1), score.getInt(2), expected);
    }
    assertThat(embeddings.get(EMPTY_ROW).isNullAt(1)).as("empty row: %s", label).isTrue();
  }

  /**
   * The BF16 variant with every expert on its own slot (dense layers get slots that receive no
   * tokens): the final hidden states that Spark returns, through the output head, against all of
   * transformers' outputs.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"qwen2_moe", "qwen3_moe", "olmoe", "deepseek_v3"})
  void hiddenStatesOfHalfPrecisionCheckpointsMatchTransformers(String family) {
    HuggingFaceOracle.GeneratedModel model = models.get(family + "-bf16");
    String label = model.name() + " through Spark, one expert per slot (seed " + seed + ")";
    try (MoeModel opened = MoeModel.open(model.directory())) {
      ModelConfig config = opened.config();
      MoeInference inference =
          MoeInference.of(model.directory().toString())
              .output("hidden")
              .placement("one-per-gpu")
              .slots(config.numLayers() * config.numExperts())
              .partitions(3);
      FinalHidden states = hiddenStates(byId(inference.run(input)), config.hiddenSize());
      OutputHead head = new OutputHead(config, opened.loadDense().lmHead());
      OracleAssertions.assertMatches(label, head, states, rows, model.rows());
    }
  }

  /**
   * The per-position hidden states of rows 0.. in row order, packed as the output head reads them.
   */
  private static FinalHidden hiddenStates(Map<Long, Row> byId, int hidden) {
    int[] offsets = new int[rows.size() + 1];
    List<float[]> positions = new ArrayList<>();
    for (int r = 0; r < rows.size(); r++) {
      List<Object> row = byId.get((long) r).getList(1);
      for (Object position : row) {
        scala.collection.Seq<?> values = (scala.collection.Seq<?>) position;
        float[] state = new float[values.length()];
        for (int i = 0; i < state.length; i++) {
          state[i] = (Float) values.apply(i);
        }
        positions.add(state);
      }
      offsets[r + 1] = offsets[r] + row.size();
    }
    float[] states = new float[positions.size() * hidden];
    for (int t = 0; t < positions.size(); t++) {
      System.arraycopy(positions.get(t), 0, states, t * hidden, hidden);
    }
    return new FinalHidden(states, offsets, hidden);
  }

  private static Map<Long, Row> byId(MoeInference.MoeRun run) {
    Map<Long, Row> out = new HashMap<>();
    for (Row row : run.rows().collectAsList()) {
      out.put(row.getLong(0), row);
    }
    return out;
  }

  private static float[] floats(List<Float> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }

  /** A single token, then rows up to 48 tokens: longer than the sliding window of qwen3_moe-f32. */
  private static List<int[]> rows(long seed) {
    TokenGenerator generator = new TokenGenerator(seed, 1, 48, VOCAB);
    List<int[]> rows = new ArrayList<>();
    rows.add(new int[] {(int) (seed % VOCAB)});
    for (long id = 0; id < 5; id++) {
      rows.add(generator.tokens(id));
    }
    return rows;
  }

  /** Row r has id r; one more row, {@link #EMPTY_ROW}, has no tokens. */
  private static Dataset<Row> table(List<int[]> tokens) {
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType, false)
            .add("tokens", DataTypes.createArrayType(DataTypes.IntegerType, false), true);
    List<Row> table = new ArrayList<>();
    for (int i = 0; i < tokens.size(); i++) {
      table.add(RowFactory.create((long) i, tokens.get(i)));
    }
    table.add(RowFactory.create(EMPTY_ROW, new int[0]));
    return spark.createDataFrame(table, schema).repartition(2);
  }
}
