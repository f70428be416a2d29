package dev.sparkmoe.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.core.generate.ModelGenerator;
import dev.sparkmoe.core.generate.ModelSpec;
import dev.sparkmoe.core.generate.TokenGenerator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * examples/java-app.sh: the example application run from source by java's single-file launcher,
 * with the application jar and Spark's jars, as a user without Maven runs it.
 */
class JavaAppIT {
  private static final int ROWS = 16;

  @TempDir Path dir;

  @Test
  void runsFromSourceOnTheApplicationJar() throws Exception {
    Path model = dir.resolve("model");
    new ModelGenerator(ModelSpec.Preset.TINY.spec()).writeTo(model);
    Path input = dir.resolve("docs.json");
    TokenGenerator generator = new TokenGenerator(3, 1, 16, 512);
    List<String> lines = new ArrayList<>();
    for (long id = 0; id < ROWS; id++) {
      String tokens =
          Arrays.stream(generator.tokens(id))
              .mapToObj(String::valueOf)
              .collect(Collectors.joining(","));
      lines.add("{\"id\":" + id + ",\"tokens\":[" + tokens + "]}");
    }
    Files.write(input, lines);
    Path output = dir.resolve("embeddings.parquet");
    Path log = dir.resolve("java-app.log");

    ProcessBuilder builder =
        new ProcessBuilder(
                "bash",
                ConfTemplates.root().resolve("examples/java-app.sh").toString(),
                model.toString(),
                input.toString(),
                output.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().put("MOE_JAR", System.getProperty("moe.all.jar"));
    builder.environment().put("MOE_SPARK_CLASSPATH", System.getProperty("moe.spark.classpath"));
    Process process = builder.start();
    boolean finished = process.waitFor(300, TimeUnit.SECONDS);
    if (!finished) {
      process.destroy();
    }
    String printed = Files.readString(log, StandardCharsets.UTF_8);

    assertThat(finished).as(printed).isTrue();
    assertThat(process.exitValue()).as(printed).isZero();
    assertThat(printed).contains(ROWS + " rows, ").contains("layer 1: balance");
    assertThat(output.resolve("_SUCCESS")).exists();
    assertThat(Files.readString(Path.of(output + ".report.html")))
        .contains("<h2>Tokens per expert</h2>");
  }
}
