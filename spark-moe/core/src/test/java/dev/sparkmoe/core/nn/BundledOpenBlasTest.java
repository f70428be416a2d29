package dev.sparkmoe.core.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The OpenBLAS in our jars, and the choice in fresh JVMs (netlib loads once per JVM): {@code
 * moe.blas=bundled} is what a machine without a system OpenBLAS gets, {@code moe.blas=java} what
 * one without any native library gets.
 */
class BundledOpenBlasTest {
  private static final Pattern PROBE_LINE =
      Pattern.compile("(?m)^(source|implementation|description|relativeError)=(.*)$");

  @Test
  void extractsTheLibraryAndItsFortranRuntime() {
    BundledOpenBlas.Extracted extracted = BundledOpenBlas.extract();
    Path dir = extracted.library().getParent();
    assertThat(extracted.library().getFileName()).hasToString("libopenblas.so.0");
    assertThat(dir.resolve("libgfortran.so.5")).isRegularFile();
    assertThat(extracted.library()).isRegularFile();
    assertThat(extracted.version())
        .as("org.bytedeco:openblas version")
        .matches("0\\.3\\.\\d+-1\\.5\\.\\d+");
    assertThat(BundledOpenBlas.extract().library())
        .as("each extraction its own folder")
        .isNotEqualTo(extracted.library());
  }

  @Test
  void theBundledLibraryIsChosenAndComputesCorrectProducts() throws Exception {
    Map<String, String> probe = probe("bundled");
    assertThat(probe.get("source")).isEqualTo("BUNDLED");
    assertThat(probe.get("implementation")).isEqualTo("dev.ludovic.netlib.blas.JNIBLAS");
    assertThat(probe.get("description"))
        .startsWith("dev.ludovic.netlib.blas.JNIBLAS on the bundled OpenBLAS 0.3.")
        .endsWith(" from org.bytedeco:openblas");
    assertThat(Double.parseDouble(probe.get("relativeError")))
        .as("‖bundled OpenBLAS − double loop‖ / ‖double loop‖, 37x300x129")
        .isLessThan(1e-6);
    assertThat(probe.get("log"))
        .as("the log line names the library and where it came from")
        .contains("BLAS: dev.ludovic.netlib.blas.JNIBLAS on the bundled OpenBLAS")
        .contains("(moe.blas=bundled)");
  }

  @Test
  void withoutANativeLibraryTheVectorKernelRunsAndWarns() throws Exception {
    Map<String, String> probe = probe("java");
    assertThat(probe.get("source")).isEqualTo("PURE_JAVA");
    assertThat(probe.get("implementation")).startsWith("dev.sparkmoe.core.nn.VectorGemm");
    assertThat(Double.parseDouble(probe.get("relativeError")))
        .as("‖Vector API kernel − double loop‖ / ‖double loop‖, 37x300x129")
        .isLessThan(1e-6);
    assertThat(probe.get("log"))
        .contains("WARN")
        .contains(", the pure-Java fallback (moe.blas=java;")
        .contains("apt-get install libopenblas0-pthread");
  }

  /** Runs {@link GemmProbe} in a child JVM with {@code -Dmoe.blas=mode}. */
  private static Map<String, String> probe(String mode) throws IOException, InterruptedException {
    Path log = Files.createTempFile("gemm-probe-", ".log");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of("--add-modules", VectorApi.MODULE, "-Dmoe.blas=" + mode));
    command.addAll(List.of("-cp", System.getProperty("java.class.path")));
    command.addAll(List.of(GemmProbe.class.getName(), "17"));
    Process process =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("probe finished").isTrue();
    String output = Files.readString(log, StandardCharsets.UTF_8);
    Files.delete(log);
    assertThat(process.exitValue()).as("probe exit status; output:%n%s", output).isZero();
    Map<String, String> values = new HashMap<>();
    Matcher line = PROBE_LINE.matcher(output);
    while (line.find()) {
      values.put(line.group(1), line.group(2));
    }
    values.put("log", output);
    return values;
  }
}
