package dev.sparkmoe.spark.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code conf/fake-gpu-discovery.sh}: Spark's resource JSON, a distinct address per call. */
class FakeGpuDiscoveryTest {
  private static final Pattern ONE_GPU =
      Pattern.compile("\\{\"name\":\"gpu\",\"addresses\":\\[\"(\\d+)\"\\]\\}\\n");

  @TempDir Path counter;

  @Test
  void concurrentCallsGetDistinctAddresses() throws Exception {
    List<Process> calls = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      calls.add(start("100"));
    }
    List<String> addresses = new ArrayList<>();
    for (Process call : calls) {
      addresses.add(address(call));
    }

    assertThat(addresses).containsExactlyInAnyOrder("0", "1", "2", "3", "4", "5");
  }

  @Test
  void addressesCycleThroughTheGpuCount() throws Exception {
    List<String> addresses = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      addresses.add(address(start("2")));
    }

    assertThat(addresses).containsExactly("0", "1", "0", "1", "0");
  }

  @Test
  void rejectsInvalidCount() throws Exception {
    Process call = start("many");

    assertThat(call.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(call.exitValue()).isEqualTo(1);
    assertThat(new String(call.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
        .isEqualTo(
            "fake-gpu-discovery: Invalid MOE_FAKE_GPU_COUNT: many (expected: a positive integer)\n");
  }

  private Process start(String count) throws IOException {
    Path script = Path.of(System.getProperty("moe.root"), "conf", "fake-gpu-discovery.sh");
    ProcessBuilder builder = new ProcessBuilder(script.toString());
    builder.environment().put("MOE_FAKE_GPU_DIR", counter.toString());
    builder.environment().put("MOE_FAKE_GPU_COUNT", count);
    return builder.start();
  }

  private static String address(Process call) throws Exception {
    String out = new String(call.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(call.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(call.exitValue()).as(out).isZero();
    Matcher matcher = ONE_GPU.matcher(out);
    assertThat(matcher.matches()).as("Spark resource JSON: %s", out).isTrue();
    return matcher.group(1);
  }
}
