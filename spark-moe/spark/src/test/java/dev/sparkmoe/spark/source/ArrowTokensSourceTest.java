package dev.sparkmoe.spark.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.spark.SparkTestSession;
import dev.sparkmoe.spark.sql.InferenceFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.connector.catalog.SupportsRead;
import org.apache.spark.sql.connector.expressions.Transform;
import org.apache.spark.sql.connector.read.Batch;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.datasources.v2.BatchScanExec;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;
import org.apache.spark.sql.vectorized.ArrowColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.collection.JavaConverters;

/**
 * The {@code moe-tokens} source on corpora that {@code datasets} and {@code pyarrow} wrote: 300
 * rows in two {@code save_to_disk} shards of 150 rows, in record batches of 40.
 */
class ArrowTokensSourceTest {
  private static final int ROWS = 300;

  /** Rows per record batch in each 150-row shard. */
  private static final List<Long> SHARD_BATCHES = List.of(40L, 40L, 40L, 30L);

  @TempDir static Path temp;
  private static SparkSession spark;
  private static List<int[]> tokens;
  private static Path corpora;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.start("ArrowTokensSourceTest");
    tokens = InferenceFixtures.randomTokens(ROWS);
    corpora = ArrowCorpora.write(tokens, temp.resolve("corpora"));
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  @Test
  void readsADatasetsFolderByFileAndRecordBatch() {
    Dataset<Row> df =
        tokensReader()
            .option("row-index-column", "id")
            .option("max-partition-bytes", "1")
            .load(corpora.resolve("hf").toString());
    assertThat(df.schema())
        .isEqualTo(
            new StructType()
                .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType, true), true)
                .add("text", DataTypes.StringType, true)
                .add("id", DataTypes.LongType, false));
    assertThat(df.rdd().getNumPartitions()).as("one partition per record batch").isEqualTo(8);
    List<Long> perPartition = new ArrayList<>();
    df.javaRDD().glom().collect().forEach(rows -> perPartition.add((long) rows.size()));
    List<Long> expected = new ArrayList<>(SHARD_BATCHES);
    expected.addAll(SHARD_BATCHES);
    assertThat(perPartition).isEqualTo(expected);
    assertRowsMatch(df.collectAsList(), ROWS);
  }

  @Test
  void defaultPartitionsHoldWholeFiles() {
    Dataset<Row> df = tokensReader().load(corpora.resolve("hf").toString());
    assertThat(df.rdd().getNumPartitions()).isEqualTo(2);
    assertThat(df.count()).isEqualTo(ROWS);
    assertThat(df.select("input_ids").count()).as("pruned to one column").isEqualTo(ROWS);
  }

  @Test
  void theScanIsColumnar() {
    Dataset<Row> df = tokensReader().load(corpora.resolve("hf").toString());
    df.collect();
    SparkPlan plan = df.queryExecution().executedPlan();
    List<SparkPlan> scans = new ArrayList<>();
    JavaConverters.seqAsJavaList(plan.collectLeaves()).forEach(scans::add);
    assertThat(scans).hasSize(1).first().isInstanceOf(BatchScanExec.class);
    assertThat(scans.get(0).supportsColumnar()).isTrue();
  }

  @Test
  void batchesAreArrowVectorsOverTheMappedFile() throws IOException {
    CaseInsensitiveStringMap options =
        new CaseInsensitiveStringMap(
            Map.of("path", corpora.resolve("hf").toString(), "max-partition-bytes", "1"));
    ArrowTokensSource source = new ArrowTokensSource();
    StructType schema = source.inferSchema(options);
    SupportsRead table =
        (SupportsRead) source.getTable(schema, new Transform[0], options.asCaseSensitiveMap());
    Batch batch = table.newScanBuilder(options).build().toBatch();
    InputPartition[] partitions = batch.planInputPartitions();
    PartitionReaderFactory factory = batch.createReaderFactory();
    assertThat(Arrays.stream(partitions).allMatch(factory::supportColumnarReads)).isTrue();
    InputPartition second = partitions[1];
    try (PartitionReader<ColumnarBatch> reader = factory.createColumnarReader(second)) {
      assertThat(reader.next()).isTrue();
      ColumnarBatch columns = reader.get();
      assertThat(columns.numRows()).isEqualTo(40);
      assertThat(columns.column(0)).isInstanceOf(ArrowColumnVector.class);
      ListVector ids = (ListVector) ((ArrowColumnVector) columns.column(0)).getValueVector();
      long address = ids.getDataVector().getDataBuffer().memoryAddress();
      ArrowBatchReader arrow = (ArrowBatchReader) reader;
      assertThat(address)
          .as("the token ids are read in place from the mapping, not copied")
          .isBetween(arrow.mappedAddress(), arrow.mappedAddress() + arrow.mappedBytes() - 1);
      int[] first = columns.column(0).getArray(0).toIntArray();
      assertThat(first).as("row 40, the first of the second batch").isEqualTo(tokens.get(40));
      assertThat(columns.column(1).getUTF8String(0).toString()).isEqualTo("doc-40");
    }
  }

  @Test
  void readsTheArrowFileAndStreamFormats() {
    for (String name : List.of("file.arrow", "stream.arrows")) {
      Dataset<Row> df =
          tokensReader()
              .option("row-index-column", "id")
              .option("max-partition-bytes", "1")
              .load(corpora.resolve(name).toString());
      assertThat(df.rdd().getNumPartitions()).as("%s: batches of 64 rows", name).isEqualTo(5);
      assertRowsMatch(df.collectAsList(), ROWS);
    }
  }

  @Test
  void readsASplitOfADatasetDict() {
    Path dict = corpora.resolve("dict");
    Dataset<Row> test =
        tokensReader()
            .option("split", "test")
            .option("row-index-column", "id")
            .load(dict.toString());
    assertRowsMatch(test.collectAsList(), 10);
    assertThatThrownBy(() -> tokensReader().load(dict.toString()))
        .hasMessage(
            "Invalid split of "
                + dict
                + ": none given (expected: one of train, test, e.g. option(\"split\", \"train\"))");
  }

  @Test
  void columnsChooseWhatIsRead() {
    String large = corpora.resolve("large.arrows").toString();
    assertThatThrownBy(() -> tokensReader().load(large))
        .hasMessage(
            "Cannot read column big of "
                + large
                + ": Arrow type LargeList is not supported by Spark (choose the columns to read"
                + " with option(\"columns\", \"input_ids,...\"))");
    Dataset<Row> df = tokensReader().option("columns", "input_ids").load(large);
    assertThat(df.columns()).containsExactly("input_ids");
    assertThat(df.count()).isEqualTo(ROWS);
    assertThatThrownBy(() -> tokensReader().option("columns", "input_ids,nope").load(large))
        .hasMessage(
            "Invalid column in columns: nope (expected: one of input_ids, big, the columns of "
                + large
                + ")");
  }

  @Test
  void compressedBatchesAreRejected() {
    String lz4 = corpora.resolve("lz4.arrows").toString();
    assertThatThrownBy(() -> tokensReader().load(lz4).count())
        .hasMessage(
            "Cannot read "
                + lz4
                + ": record batch 0 is compressed with LZ4_FRAME (expected: uncompressed Arrow"
                + " IPC; write it with compression=None)");
  }

  @Test
  void damagedFilesFailWithTheirOffset() throws IOException {
    Path shard = corpora.resolve("hf/data-00001-of-00002.arrow");
    IpcFile whole = IpcFile.index(shard);
    BatchBlock last = whole.batches().get(whole.batches().size() - 1);
    Path truncated = temp.resolve("truncated.arrow");
    byte[] bytes = Files.readAllBytes(shard);
    Files.write(truncated, Arrays.copyOf(bytes, (int) (last.offset() + last.metadataBytes() + 8)));
    assertThatThrownBy(() -> tokensReader().load(truncated.toString()).count())
        .hasMessage(
            "Cannot read %s: truncated Arrow IPC message at offset %d (a body of %d bytes runs past"
                + " the end of the stream)",
            truncated, last.offset(), last.bodyBytes());

    Path text = temp.resolve("notes.arrow");
    Files.writeString(text, "these are not Arrow record batches");
    assertThatThrownBy(() -> tokensReader().load(text.toString()))
        .hasMessage(
            "Cannot read %s: not an Arrow IPC stream at offset 0 (expected: the continuation"
                + " marker 0xFFFFFFFF; Arrow files from before 0.15 are not supported)",
            text);
  }

  @Test
  void badPathsAndOptions() {
    Path missing = temp.resolve("missing");
    assertThatThrownBy(() -> tokensReader().load(missing.toString()))
        .hasMessage("Cannot read %s with format moe-tokens: no such file or folder", missing);
    assertThatThrownBy(() -> tokensReader().option("splits", "x").load(corpora.toString()))
        .hasMessage(
            "Invalid option of format moe-tokens: splits (expected: one of split, columns,"
                + " row-index-column, max-partition-bytes)");
    assertThatThrownBy(
            () ->
                tokensReader()
                    .option("row-index-column", "text")
                    .load(corpora.resolve("hf").toString()))
        .hasMessage(
            "Invalid row-index-column: text (expected: a name that is not a column of %s)",
            corpora.resolve("hf/data-00000-of-00002.arrow"));
  }

  private static org.apache.spark.sql.DataFrameReader tokensReader() {
    return spark.read().format("moe-tokens");
  }

  /** Rows 0..count-1 in corpus order, each with its own tokens and text. */
  private static void assertRowsMatch(List<Row> rows, int count) {
    assertThat(rows).hasSize(count);
    for (int i = 0; i < count; i++) {
      Row row = rows.get(i);
      long id = row.getLong(row.fieldIndex("id"));
      assertThat(id).as("corpus order").isEqualTo(i);
      List<Integer> ids = row.getList(row.fieldIndex("input_ids"));
      assertThat(ids.stream().mapToInt(Integer::intValue).toArray())
          .as("row %d", i)
          .isEqualTo(tokens.get(i));
      assertThat(row.<String>getAs("text")).isEqualTo("doc-" + i);
    }
  }
}
