package dev.sparkmoe.spark.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.core.oracle.HuggingFaceOracle;
import dev.sparkmoe.core.oracle.HuggingFaceOracle.TokenizerReference;
import dev.sparkmoe.spark.pipeline.MoeInference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
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
 * Text in: a text column tokenized by a real BPE tokenizer that Python {@code tokenizers} trained,
 * through every entry point, against the same run on the ids that Python {@code tokenizers} gives;
 * and {@code moe_tokenize} / {@code moe_detokenize} against that library.
 */
class TextInputTest {
  static final List<String> TEXTS =
      List.of(
          "Mixture-of-Experts models route every token.",
          "The quick brown fox <|sep|> jumps over the lazy dog.",
          "café 東京 🚀 zebra",
          "Numbers like 1024 and 2816",
          "",
          "a");

  @TempDir static Path temp;
  private static SparkSession spark;
  private static Path model;
  private static TokenizerReference reference;

  @BeforeAll
  static void setUp() throws IOException {
    spark = SqlTestSession.withExtensionConf("TextInputTest", temp.resolve("warehouse"));
    reference =
        HuggingFaceOracle.locate().tokenizer(temp.resolve("tokenizer"), "bytelevel", 300, TEXTS);
    assertThat(reference.vocabSize()).as("ids inside the tiny model's vocabulary").isLessThan(512);
    model = ModelFixtures.tinyMixtral(temp.resolve("model"));
    Files.copy(reference.directory().resolve("tokenizer.json"), model.resolve("tokenizer.json"));
    texts().createOrReplaceTempView("texts");
    tokens().createOrReplaceTempView("tokens");
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  @Test
  void textColumnRunEqualsTheRunOnPythonsIds() {
    Map<Long, String> fromText =
        scores(
            MoeInference.of(model.toString())
                .kind("score")
                .textColumn("text")
                .run(spark.table("texts"))
                .rows());
    Map<Long, String> fromIds =
        scores(MoeInference.of(model.toString()).kind("score").transform(spark.table("tokens")));
    assertThat(fromIds).hasSize(TEXTS.size() + 1);
    assertThat(fromIds.get(99L)).as("a null text: null outputs").isEqualTo("null/null");
    assertThat(fromText)
        .as("scores of the text column (tokenizer of the model folder)")
        .isEqualTo(fromIds);
  }

  @Test
  void sqlAndDataSourceTakeATextColumnAndATokenizer() {
    Map<Long, String> fromIds =
        scores(spark.sql(String.format("SELECT * FROM moe_infer('%s', 'tokens', 'score')", model)));
    Map<Long, String> sql =
        scores(
            spark.sql(
                String.format(
                    "SELECT * FROM moe_infer('%s', 'texts', 'score', 'text-column=text;"
                        + " tokenizer=%s')",
                    model, reference.directory())));
    Map<Long, String> source =
        scores(
            spark
                .read()
                .format("moe")
                .option("model", model.toString())
                .option("input", "texts")
                .option("kind", "score")
                .option("text-column", "text")
                .load());
    assertThat(sql).as("moe_infer with text-column and tokenizer").isEqualTo(fromIds);
    assertThat(source).as("format moe with text-column").isEqualTo(fromIds);
  }

  @Test
  void moeTokenizeAndDetokenizeAgreeWithPythonTokenizers() {
    List<Row> rows =
        spark
            .sql(
                String.format(
                    "SELECT id, moe_tokenize('%1$s', text) AS ids,"
                        + " moe_detokenize('%1$s', moe_tokenize('%1$s', text)) AS back FROM texts",
                    reference.directory()))
            .collectAsList();
    assertThat(rows).hasSize(TEXTS.size() + 1);
    for (Row row : rows) {
      long id = row.getLong(0);
      if (id == 99) {
        assertThat(row.isNullAt(1) && row.isNullAt(2)).as("NULL text: NULL ids and text").isTrue();
        continue;
      }
      List<Integer> ids = row.getList(1);
      assertThat(ids)
          .as("Python tokenizers: encode(%s).ids", TEXTS.get((int) id))
          .containsExactlyElementsOf(Arrays.stream(reference.ids().get((int) id)).boxed().toList());
      assertThat(row.getString(2))
          .as("Python tokenizers: decode(ids) of %s", TEXTS.get((int) id))
          .isEqualTo(reference.decoded().get((int) id));
    }
    assertThat(
            spark
                .sql(
                    String.format(
                        "SELECT moe_detokenize('%s', array(1, 300))", reference.directory()))
                .first()
                .getString(0))
        .as("<s> skipped, id 300 the added token <|sep|>")
        .isEqualTo("<|sep|>");
  }

  @Test
  void aMissingOrBrokenTokenizerIsNamed() throws IOException {
    Path noTokenizer = ModelFixtures.tinyMixtral(temp.resolve("bare"));
    assertThatThrownBy(
            () ->
                MoeInference.of(noTokenizer.toString())
                    .textColumn("text")
                    .run(spark.table("texts")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot tokenize text column text: the model folder "
                + noTokenizer
                + " has no tokenizer.json (set --tokenizer to a folder that holds one)");
    Path broken = Files.createDirectories(temp.resolve("broken"));
    Files.writeString(broken.resolve("tokenizer.json"), "{\"model\": 42}");
    assertThatThrownBy(
            () -> spark.sql(String.format("SELECT moe_tokenize('%s', 'x')", broken)).collect())
        .hasMessageContaining("Cannot load tokenizer " + broken.resolve("tokenizer.json") + ": ")
        .hasMessageContaining("(expected: a Hugging Face tokenizer.json");
    assertThatThrownBy(
            () -> MoeInference.of(model.toString()).textColumn("id").run(spark.table("texts")))
        .hasMessage("Invalid type of text column id: bigint (expected: string)");
  }

  /** Id i: TEXTS[i]; id 99: NULL. */
  private static Dataset<Row> texts() {
    StructType schema =
        new StructType().add("id", DataTypes.LongType, false).add("text", DataTypes.StringType);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < TEXTS.size(); i++) {
      rows.add(RowFactory.create((long) i, TEXTS.get(i)));
    }
    rows.add(RowFactory.create(99L, null));
    return spark.createDataFrame(rows, schema).repartition(2);
  }

  /** Id i: Python tokenizers' ids of TEXTS[i]; id 99: NULL. */
  private static Dataset<Row> tokens() {
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType, false)
            .add("tokens", DataTypes.createArrayType(DataTypes.IntegerType, false));
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < TEXTS.size(); i++) {
      rows.add(RowFactory.create((long) i, reference.ids().get(i)));
    }
    rows.add(RowFactory.create(99L, null));
    return spark.createDataFrame(rows, schema).repartition(3);
  }

  /** Score rows as id to "score/num_tokens", exact. */
  private static Map<Long, String> scores(Dataset<Row> rows) {
    return rows.collectAsList().stream()
        .collect(
            Collectors.toMap(
                r -> r.getLong(0), r -> r.get(1) + "/" + r.get(2), (a, b) -> a, TreeMap::new));
  }
}
