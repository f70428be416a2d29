package dev.sparkmoe.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The example scripts parse, and the submit scripts build the spark-submit command they document
 * (their dry runs; examples/standalone-cluster.sh runs submit-standalone.sh for real in {@code
 * StandaloneClusterIT}).
 */
class ExampleScriptsTest {
  private final Path examples = ConfTemplates.root().resolve("examples");

  @Test
  void everyScriptIsExecutableAndParses() throws Exception {
    List<Path> scripts;
    try (Stream<Path> files = Files.list(examples)) {
      scripts = files.filter(p -> p.toString().endsWith(".sh")).sorted().toList();
    }
    assertThat(scripts)
        .extracting(p -> p.getFileName().toString())
        .contains(
            "quickstart.sh",
            "standalone-cluster.sh",
            "submit-standalone.sh",
            "submit-kubernetes.sh",
            "java-app.sh");
    for (Path script : scripts) {
      assertThat(Files.isExecutable(script)).as("%s is executable", script).isTrue();
      Result syntax = run(List.of("bash", "-n", script.toString()), Map.of());
      assertThat(syntax.exit()).as("bash -n %s: %s", script, syntax.output()).isZero();
    }
  }

  @Test
  void submitStandaloneRunsSparkSubmitInClientModeWithTheStandaloneTemplate() throws Exception {
    Result result =
        run(
            List.of(
                examples.resolve("submit-standalone.sh").toString(),
                "spark://head:7077",
                "/models/m",
                "/data/in.parquet",
                "/data/out",
                "--kind",
                "score"),
            Map.of("SPARK_HOME", "/opt/spark", "MOE_JAR", "/jars/all.jar", "MOE_DRY_RUN", "1"));

    assertThat(result.exit()).as(result.output()).isZero();
    assertThat(result.output())
        .startsWith("/opt/spark/bin/spark-submit --master spark://head:7077 --deploy-mode client ")
        .contains(
            "--properties-file "
                + ConfTemplates.conf().resolve("spark-defaults-standalone-gpu.conf.template"))
        .contains(
            "--class dev.sparkmoe.spark.cli.MoeCli /jars/all.jar infer --model /models/m --input"
                + " /data/in.parquet --output /data/out --kind score");
  }

  @Test
  void submitKubernetesRunsInClusterModeWithTheJarInTheImage() throws Exception {
    Result result =
        run(
            List.of(
                examples.resolve("submit-kubernetes.sh").toString(),
                "k8s://https://api:6443",
                "/models/m",
                "s3a://in",
                "s3a://out"),
            Map.of("SPARK_HOME", "/opt/spark", "MOE_IMAGE", "reg/spark-moe:1", "MOE_DRY_RUN", "1"));

    assertThat(result.exit()).as(result.output()).isZero();
    assertThat(result.output())
        .contains("--master k8s://https://api:6443 --deploy-mode cluster")
        .contains(
            "--properties-file "
                + ConfTemplates.conf().resolve("spark-defaults-k8s-gpu.conf.template"))
        .contains("--conf spark.kubernetes.container.image=reg/spark-moe:1")
        .contains("local:///opt/spark-moe/spark-moe-all.jar infer --model /models/m");
  }

  @Test
  void submitScriptsSayWhatIsMissing() throws Exception {
    Result noHome =
        run(
            List.of(
                examples.resolve("submit-standalone.sh").toString(),
                "spark://h:7077",
                "m",
                "i",
                "o"),
            Map.of("SPARK_HOME", ""));
    assertThat(noHome.exit()).isEqualTo(1);
    assertThat(noHome.output())
        .isEqualTo(
            "submit-standalone: Cannot submit: SPARK_HOME is not set (expected: a Spark 3.5"
                + " distribution)\n");

    Result badMaster =
        run(
            List.of(
                examples.resolve("submit-kubernetes.sh").toString(),
                "spark://h:7077",
                "m",
                "i",
                "o"),
            Map.of("SPARK_HOME", "/opt/spark"));
    assertThat(badMaster.exit()).isEqualTo(2);
    assertThat(badMaster.output())
        .isEqualTo(
            "submit-kubernetes: Invalid master: spark://h:7077 (expected:"
                + " k8s://https://<api-server>:<port>)\n");
  }

  private record Result(int exit, String output) {}

  private static Result run(List<String> command, Map<String, String> env)
      throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true);
    env.forEach(
        (k, v) -> {
          if (v.isEmpty()) {
            builder.environment().remove(k);
          } else {
            builder.environment().put(k, v);
          }
        });
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Result(process.waitFor(), output);
  }
}
