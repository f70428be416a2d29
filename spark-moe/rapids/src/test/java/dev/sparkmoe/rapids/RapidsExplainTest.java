package dev.sparkmoe.rapids;

import static org.assertj.core.api.Assertions.assertThat;

import com.nvidia.spark.RapidsUDF;
import com.nvidia.spark.rapids.ExplainPlan;
import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.spark.sql.InferenceFixtures;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.ScalaUDF;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.collection.JavaConverters;

/**
 * The CI check of the GPU plan, without a GPU: RAPIDS' plugin in {@code explainOnly} mode (queries
 * run on the CPU, RAPIDS says what it would put on the GPU) on Spark 3.5.6 through the 3.5.5 shim.
 * Its own JVM (the module's surefire forks one per class): in any other mode the plugin ends the
 * JVM where there is no GPU.
 */
class RapidsExplainTest {
  private static final int DOCS = 12;

  @TempDir static Path temp;
  private static SparkSession spark;
  private static Path model;

  @BeforeAll
  static void setUp() {
    spark = RapidsTestSession.explainOnly("RapidsExplainTest", temp.resolve("warehouse"));
    model = ModelFixtures.tinyMixtral(temp.resolve("model"));
    // A tokenized table as RAPIDS users keep one: Parquet, which RAPIDS scans on the GPU. Ids 0..11
    // have 1 to 20 ids, 1000 an empty array, 1001 NULL.
    String docs = temp.resolve("docs").toString();
    InferenceFixtures.table(spark, InferenceFixtures.randomTokens(DOCS), "id", "tokens")
        .write()
        .parquet(docs);
    spark.read().parquet(docs).createOrReplaceTempView("docs");
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  @Test
  void tokenFunctionsRunOnTheGpu() {
    Dataset<Row> prepared =
        spark.sql(
            "SELECT id, moe_num_tokens(tokens) AS n, moe_truncate(tokens, 8) AS head,"
                + " moe_windows(tokens, 6, 3) AS windows FROM docs");
    List<String> plan = lines(ExplainPlan.explainPotentialGpuPlan(prepared, "ALL"));
    assertThat(plan)
        .as("RAPIDS' plan of the token query")
        .anySatisfy(l -> assertGpu(l, "*Expression <ScalaUDF> moe_truncate(tokens#"))
        .anySatisfy(l -> assertGpu(l, "*Expression <ScalaUDF> moe_windows(tokens#"))
        .anySatisfy(l -> assertGpu(l, "*Expression <Size> size(tokens#"))
        .anySatisfy(l -> assertGpu(l, "*Exec <ProjectExec>"))
        .anySatisfy(l -> assertGpu(l, "*Exec <FileSourceScanExec>"))
        .noneSatisfy(l -> assertThat(l).contains("cannot run on GPU"));
  }

  @Test
  void theGpuClassesAreChosenAndTheirCpuPathMatchesSpark() {
    Dataset<Row> prepared =
        spark.sql(
            "SELECT moe_truncate(tokens, 5), slice(tokens, 1, 5), moe_windows(tokens, 4, 4),"
                + " transform(sequence(0, greatest(size(tokens) - 1, 0), 4), s -> slice(tokens, s"
                + " + 1, 4)), tokens IS NULL, size(tokens) = 0 FROM docs");
    List<Object> functions =
        JavaConverters.seqAsJavaList(prepared.queryExecution().analyzed().expressions()).stream()
            .flatMap(e -> JavaConverters.seqAsJavaList(e.collect(new UdfFunctions())).stream())
            .toList();
    assertThat(functions)
        .as("the functions behind moe_truncate and moe_windows where RAPIDS is present")
        .hasExactlyElementsOfTypes(GpuTruncateTokens.class, GpuTokenWindows.class)
        .allSatisfy(f -> assertThat(f).isInstanceOf(RapidsUDF.class));
    List<Row> rows = prepared.collectAsList();
    assertThat(rows).hasSize(DOCS + 2);
    for (Row row : rows) {
      if (row.getBoolean(4)) {
        assertThat(row.isNullAt(0) && row.isNullAt(2)).as("NULL tokens").isTrue();
      } else if (row.getBoolean(5)) {
        assertThat(row.getList(2)).as("an empty array has no windows").isEmpty();
      } else {
        assertThat(row.getList(0)).as("moe_truncate = slice").isEqualTo(row.getList(1));
        assertThat(row.getList(2))
            .as("moe_windows = slice at every stride")
            .isEqualTo(row.getList(3));
      }
    }
  }

  @Test
  void aMoeInferQueryRunsOnTheGpuUpToThePipelineAndAfterIt() {
    spark
        .sql(
            "SELECT id * 100 + pos AS id, window AS tokens FROM docs"
                + " LATERAL VIEW posexplode(moe_windows(tokens, 6, 3)) w AS pos, window")
        .createOrReplaceTempView("windows");
    Dataset<Row> scored =
        spark.sql(
            String.format(
                "SELECT id DIV 100 AS doc, sum(score) AS score FROM moe_infer('%s', 'windows',"
                    + " 'score') GROUP BY id DIV 100",
                model));
    // moe_infer ran its pipeline when the query was analyzed; the plan RAPIDS saw for its input is
    // in the pipeline's input Dataset, logged, and the plan of the whole query reads its rows.
    List<String> plan = lines(ExplainPlan.explainPotentialGpuPlan(scored, "ALL"));
    assertThat(plan)
        .as("after the pipeline: its persisted rows are read on the CPU, the rest is on the GPU")
        .anySatisfy(l -> assertThat(l).contains("! <RDDScanExec> cannot run on GPU"))
        .anySatisfy(l -> assertGpu(l, "*Exec <HashAggregateExec>"))
        .anySatisfy(l -> assertGpu(l, "*Exec <ShuffleExchangeExec>"))
        .filteredOn(l -> l.contains("cannot run on GPU"))
        .allSatisfy(l -> assertThat(l).contains("<RDDScanExec>"));
    Dataset<Row> input =
        spark.sql(
            "SELECT id * 100 + pos AS id, window AS tokens FROM docs"
                + " LATERAL VIEW posexplode(moe_windows(tokens, 6, 3)) w AS pos, window");
    List<String> inputPlan = lines(ExplainPlan.explainPotentialGpuPlan(input, "ALL"));
    assertThat(inputPlan)
        .as("up to the pipeline: scan, windows and explode on the GPU")
        .anySatisfy(l -> assertGpu(l, "*Exec <FileSourceScanExec>"))
        .anySatisfy(l -> assertGpu(l, "*Exec <GenerateExec>"))
        .anySatisfy(l -> assertGpu(l, "*Expression <ScalaUDF> moe_windows(tokens#"))
        .noneSatisfy(l -> assertThat(l).contains("cannot run on GPU"));
    List<Row> rows = scored.collectAsList();
    assertThat(rows).as("one row per document with tokens").hasSize(DOCS);
    assertThat(rows)
        .allSatisfy(
            r ->
                assertThat(r.getDouble(1))
                    .as("a sum of log-likelihoods (0 for a one-id document)")
                    .isLessThanOrEqualTo(0.0));
  }

  @Test
  void theRapidsTemplateNamesClassesOfThisJarAndTheShimTheTestsUse() throws Exception {
    Path template =
        Path.of(System.getProperty("moe.root"), "conf/spark-defaults-rapids.conf.template");
    java.util.Map<String, String> settings = new java.util.HashMap<>();
    for (String line : java.nio.file.Files.readAllLines(template)) {
      String[] parts = line.strip().split("\\s+", 2);
      if (parts.length == 2 && !parts[0].startsWith("#")) {
        settings.put(parts[0], parts[1]);
      }
    }
    assertThat(settings)
        .containsEntry("spark.rapids.shims-provider-override", RapidsTestSession.SHIM_OVERRIDE);
    // The shim's classes are in the jar's spark-shared/ tree, which RAPIDS added to this loader.
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    for (String name :
        List.of(
            settings.get("spark.shuffle.manager"),
            settings.get("spark.rapids.shims-provider-override"),
            settings.get("spark.plugins").split(",")[0])) {
      assertThat(Class.forName(name, false, loader)).as(name).isNotNull();
    }
  }

  private static void assertGpu(String line, String prefix) {
    assertThat(line.strip()).startsWith(prefix).endsWith("will run on GPU");
  }

  private static List<String> lines(String plan) {
    return Arrays.asList(plan.split("\n"));
  }

  /** Collects the function of every ScalaUDF in an expression tree. */
  private static final class UdfFunctions
      extends scala.runtime.AbstractPartialFunction<
          org.apache.spark.sql.catalyst.expressions.Expression, Object> {
    @Override
    public boolean isDefinedAt(org.apache.spark.sql.catalyst.expressions.Expression e) {
      return e instanceof ScalaUDF;
    }

    @Override
    public Object apply(org.apache.spark.sql.catalyst.expressions.Expression e) {
      return ((ScalaUDF) e).function();
    }
  }
}
