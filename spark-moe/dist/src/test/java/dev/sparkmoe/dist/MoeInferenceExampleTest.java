package dev.sparkmoe.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.forward.ReferenceForward;
import dev.sparkmoe.core.generate.ModelGenerator;
import dev.sparkmoe.core.generate.ModelSpec;
import dev.sparkmoe.core.generate.TokenGenerator;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.examples.MoeInferenceExample;
import dev.sparkmoe.spark.pipeline.RunReport;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
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
 * examples/java/MoeInferenceExample.java, run in a session built from
 * conf/spark-defaults-local-cpu.conf.template, against the single-process reference forward.
 */
class MoeInferenceExampleTest {
  private static SparkSession spark;

  @TempDir Path dir;

  @BeforeAll
  static void start() {
    spark = ConfTemplates.localSession("spark-defaults-local-cpu.conf.template", "example-test");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  void theLocalTemplateSetsUpKryoAndTheCpuBackend() {
    assertThat(spark.conf().get("spark.kryo.registrator"))
        .isEqualTo("dev.sparkmoe.spark.pipeline.MoeKryoRegistrator");
    assertThat(spark.conf().get("spark.moe.backend")).isEqualTo("cpu");
  }

  @Test
  void embeddingsMatchTheReferenceForwardAndTheReportIsWritten() throws Exception {
    long seed = new Random().nextLong();
    Path model = dir.resolve("model");
    new ModelGenerator(ModelSpec.Preset.TINY.spec().toBuilder().seed(seed).build()).writeTo(model);
    TokenGenerator generator = new TokenGenerator(seed, 1, 20, 512);
    List<int[]> tokens = new ArrayList<>();
    List<Row> rows = new ArrayList<>();
    for (long id = 0; id < 24; id++) {
      tokens.add(generator.tokens(id));
      rows.add(RowFactory.create(id, tokens.get((int) id)));
    }
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType)
            .add("tokens", DataTypes.createArrayType(DataTypes.IntegerType));
    String input = dir.resolve("tokens.parquet").toString();
    spark.createDataFrame(rows, schema).repartition(2).write().parquet(input);
    String output = dir.resolve("embeddings.parquet").toString();
    ByteArrayOutputStream printed = new ByteArrayOutputStream();

    RunReport report =
        MoeInferenceExample.run(
            spark,
            model.toString(),
            input,
            output,
            new PrintStream(printed, true, StandardCharsets.UTF_8));

    assertThat(report.rows()).isEqualTo(24);
    assertThat(printed.toString(StandardCharsets.UTF_8))
        .contains("24 rows, " + report.tokens() + " tokens")
        .contains("layer 0: balance", "layer 1: balance", "hottest expert");
    assertThat(Files.readString(Path.of(output + ".report.html")))
        .contains("<h2>Load per slot</h2>");
    List<Row> out = spark.read().parquet(output).orderBy("id").collectAsList();
    assertThat(out).hasSize(24);
    try (MoeModel opened = MoeModel.open(model)) {
      ReferenceForward forward =
          new ReferenceForward(opened, opened.loadDense(), new CpuExpertBackend());
      FinalHidden states = forward.run(tokens);
      for (int i = 0; i < 24; i++) {
        float[] expected = forward.head().embedding(states, i);
        List<Float> actual = out.get(i).getList(1);
        assertThat(actual).as("row %d (seed %d)", i, seed).hasSize(expected.length);
        for (int h = 0; h < expected.length; h++) {
          // Two token-owner partitions: within 1e-5 relative of the reference (README,
          // Determinism).
          assertThat((double) actual.get(h))
              .as("row %d, dim %d (seed %d)", i, h, seed)
              .isCloseTo(expected[h], within(1e-5 * Math.abs(expected[h]) + 1e-6));
        }
      }
    }
  }
}
