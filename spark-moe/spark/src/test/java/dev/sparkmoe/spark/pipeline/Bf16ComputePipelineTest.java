package dev.sparkmoe.spark.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.generate.TokenGenerator;
import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.core.nn.Bf16Gemm;
import dev.sparkmoe.spark.SparkTestSession;
import dev.sparkmoe.spark.sql.InferenceFixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --compute-dtype bf16} through the Spark pipeline against the f32 run of the same rows on a
 * generated model. The bounds are H7's measurements carried through the model, with margin: one
 * bf16 product is within 3.5·10⁻³ relative of f32 at k = 1024 ({@code Bf16GemmTest}), an expert FFN
 * within 7·10⁻³ ({@code CpuExpertBackendBf16Test}); the tiny model's layers measured at most
 * {@value #MEASURED_EMBEDDING} on these rows (score: 3.7·10⁻³ nats per token, next token 40 of 40;
 * 2026-12, AVX512-BF16, oneDNN brg:avx512_core_bf16) with bf16 experts alone. bf16 attention
 * projections (issue 16) perturb the router's input in every layer, and on this tiny model (hidden
 * 64) a few rows then route a token to another expert: one attention layer stays within 3.9·10⁻³ of
 * f32 on the model's own weights, but the core forward on these 40 rows measured a worst embedding
 * of {@value #MEASURED_EMBEDDING} (hidden states overall 3.5·10⁻², experts alone 2.6·10⁻³), and the
 * pipeline 2.1·10⁻² nats on a row's score; the bounds allow about 1.5-2× that. Where the CPU has no
 * bf16 instructions, every run must fail before any task with the one message that names why and
 * the fix, and these tests check that instead.
 */
class Bf16ComputePipelineTest {
  /** Largest relative L2 error of an embedding, bf16 against f32, measured on this machine. */
  static final double MEASURED_EMBEDDING = 0.107;

  static final double EMBEDDING_BOUND = 0.16;

  /** Per-token log-likelihood difference, nats. */
  static final double SCORE_BOUND = 4e-2;

  /** Share of rows whose next token must agree (a near-tie of the logits may flip). */
  static final double NEXT_TOKEN_AGREEMENT = 0.95;

  @TempDir static Path temp;
  private static SparkSession spark;
  private static String model;
  private static Dataset<Row> input;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.startWithKryo("Bf16ComputePipelineTest");
    model = ModelFixtures.tinyMixtral(temp.resolve("model")).toString();
    List<int[]> tokens = new ArrayList<>();
    TokenGenerator generator = new TokenGenerator(17, 1, 24, InferenceFixtures.VOCAB);
    for (long id = 0; id < 40; id++) {
      tokens.add(generator.tokens(id));
    }
    input = InferenceFixtures.table(spark, tokens, "id", "tokens");
  }

  @AfterAll
  static void tearDown() {
    if (spark != null) {
      spark.stop();
    }
  }

  @Test
  void embeddingsStayWithinTheBf16Bound() {
    if (refusedHere()) {
      return;
    }
    Map<Long, float[]> f32 = InferenceFixtures.embeddingsById(run("f32", "embedding").rows());
    MoeInference.MoeRun bf16 = run("bf16", "embedding");
    Map<Long, float[]> out = InferenceFixtures.embeddingsById(bf16.rows());
    double worst = 0;
    for (Map.Entry<Long, float[]> row : f32.entrySet()) {
      if (row.getValue() == null) {
        assertThat(out.get(row.getKey())).as("row %d without tokens", row.getKey()).isNull();
        continue;
      }
      double error = InferenceFixtures.relativeError(out.get(row.getKey()), row.getValue());
      assertThat(error).as("row %d", row.getKey()).isLessThan(EMBEDDING_BOUND).isPositive();
      worst = Math.max(worst, error);
    }
    System.out.printf("bf16 embedding: worst relative error %.3g%n", worst);
    assertThat(bf16.report().backend()).contains("bf16").contains("oneDNN");
  }

  @Test
  void scoresAndNextTokensAgree() {
    if (refusedHere()) {
      return;
    }
    Map<Long, double[]> f32 = perToken(run("f32", "score").rows());
    Map<Long, double[]> bf16 = perToken(run("bf16", "score").rows());
    double worst = 0;
    for (Map.Entry<Long, double[]> row : f32.entrySet()) {
      double[] other = bf16.get(row.getKey());
      assertThat(other[1]).as("tokens of row %d", row.getKey()).isEqualTo(row.getValue()[1]);
      double diff = Math.abs(other[0] - row.getValue()[0]) / row.getValue()[1];
      assertThat(diff).as("row %d", row.getKey()).isLessThan(SCORE_BOUND);
      worst = Math.max(worst, diff);
    }
    Map<Long, Integer> f32Next = nextTokens(run("f32", "next-token").rows());
    Map<Long, Integer> bf16Next = nextTokens(run("bf16", "next-token").rows());
    long same =
        f32Next.keySet().stream().filter(id -> f32Next.get(id).equals(bf16Next.get(id))).count();
    System.out.printf(
        "bf16 score: worst per-token difference %.3g nats; next token %d of %d%n",
        worst, same, f32Next.size());
    assertThat((double) same / f32Next.size()).isGreaterThanOrEqualTo(NEXT_TOKEN_AGREEMENT);
  }

  /**
   * Where bf16 cannot run here, checks that a bf16 run fails with one message naming why and the
   * fix, and says so.
   */
  private static boolean refusedHere() {
    Optional<String> reason = Bf16Gemm.unavailableReason();
    if (reason.isEmpty()) {
      return false;
    }
    assertThatThrownBy(() -> run("bf16", "embedding"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Cannot use backend cpu with compute dtype bf16: " + reason.get());
    assertThat(reason.get()).endsWith("use --compute-dtype f32 (ComputeDtype.F32)");
    return true;
  }

  private static MoeInference.MoeRun run(String dtype, String kind) {
    return MoeInference.of(model).computeDtype(dtype).kind(kind).partitions(2).run(input);
  }

  /** Rows with tokens: id → (log-likelihood, tokens scored). */
  private static Map<Long, double[]> perToken(Dataset<Row> rows) {
    Map<Long, double[]> out = new HashMap<>();
    for (Row row : rows.collectAsList()) {
      if (!row.isNullAt(1) && row.getInt(2) > 0) {
        out.put(row.getLong(0), new double[] {row.getDouble(1), row.getInt(2)});
      }
    }
    return out;
  }

  private static Map<Long, Integer> nextTokens(Dataset<Row> rows) {
    Map<Long, Integer> out = new HashMap<>();
    for (Row row : rows.collectAsList()) {
      if (!row.isNullAt(1)) {
        out.put(row.getLong(0), row.getInt(1));
      }
    }
    return out;
  }
}
