package dev.sparkmoe.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.forward.OutputHead;
import dev.sparkmoe.core.forward.ReferenceForward;
import dev.sparkmoe.core.generate.TokenGenerator;
import dev.sparkmoe.core.model.MoeModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code examples/standalone-cluster.sh} as CI runs it: a standalone master and two workers from
 * the Maven jars, the application jar submitted with SparkSubmit. The script checks rows and
 * reports; this test also checks every score against the single-process reference forward.
 */
class StandaloneClusterIT {
  private static final int ROWS = 48;
  // As examples/standalone-cluster.sh generates them: moe generate-tokens' default seed, its
  // lengths.
  private static final TokenGenerator TOKENS = new TokenGenerator(7, 2, 24, 512);
  private static final long TIMEOUT_SECONDS = 420;

  private final Path root = Path.of(System.getProperty("moe.root"));
  private final Path work = Path.of("target", "standalone-cluster").toAbsolutePath();

  @Test
  void scoresOnAStandaloneClusterMatchTheReferenceForward() throws Exception {
    Path log = work.resolveSibling("standalone-cluster.log");
    int exit = runScript(log);
    assertThat(exit).as("exit code of the script; its output: %s", log).isZero();

    Map<Long, JsonNode> rows = readOutput(work.resolve("scores.json"));
    assertThat(rows).hasSize(ROWS);
    List<int[]> tokens = new ArrayList<>();
    for (long id = 0; id < ROWS; id++) {
      tokens.add(TOKENS.tokens(id));
    }
    try (MoeModel model = MoeModel.open(work.resolve("model"))) {
      ReferenceForward forward =
          new ReferenceForward(model, model.loadDense(), new CpuExpertBackend());
      FinalHidden states = forward.run(tokens);
      for (int i = 0; i < ROWS; i++) {
        OutputHead.Score score = forward.head().score(states, i, tokens.get(i));
        JsonNode row = rows.get((long) i);
        assertThat(row.get("num_tokens").asInt())
            .as("row %d length", i)
            .isEqualTo(score.numTokens());
        // Several token-owner partitions: agreement within 1e-5 relative (README, Determinism).
        assertThat(row.get("score").asDouble())
            .as("score of row %d", i)
            .isCloseTo(
                score.logLikelihood(), within(1e-5 * Math.abs(score.logLikelihood()) + 1e-6));
      }
    }
    JsonNode report = new ObjectMapper().readTree(work.resolve("scores.json.report.json").toFile());
    assertThat(report.get("executors")).hasSize(2);
    assertThat(Files.readString(work.resolve("scores.json.report.html")))
        .contains("<h2>Tokens per expert</h2>");
  }

  private int runScript(Path log) throws IOException, InterruptedException {
    ProcessBuilder builder =
        new ProcessBuilder("bash", root.resolve("examples/standalone-cluster.sh").toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().put("MOE_WORK", work.toString());
    builder.environment().put("MOE_ROWS", String.valueOf(ROWS));
    builder.environment().put("MOE_JAR", System.getProperty("moe.all.jar"));
    builder.environment().put("MOE_SPARK_CLASSPATH", System.getProperty("moe.spark.classpath"));
    Process process = builder.start();
    if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      process.descendants().forEach(ProcessHandle::destroy);
      process.destroy();
      throw new AssertionError(
          "examples/standalone-cluster.sh ran over " + TIMEOUT_SECONDS + " s; its output: " + log);
    }
    return process.exitValue();
  }

  private static Map<Long, JsonNode> readOutput(Path folder) throws IOException {
    ObjectMapper json = new ObjectMapper();
    Map<Long, JsonNode> rows = new TreeMap<>();
    try (Stream<Path> files = Files.list(folder)) {
      for (Path part : files.filter(p -> p.getFileName().toString().startsWith("part-")).toList()) {
        for (String line : Files.readAllLines(part)) {
          JsonNode row = json.readTree(line);
          assertThat(rows.put(row.get("id").asLong(), row)).as("row %s twice", row).isNull();
        }
      }
    }
    return rows;
  }
}
