package dev.sparkmoe.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.backend.ExpertBackend;
import dev.sparkmoe.core.backend.ExpertBackends;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * What a user sees on a machine without the NVIDIA driver (the build and CI machines): asking for
 * {@code cuda} fails with one sentence naming the platform, what is missing and the fix, and {@code
 * auto} falls back to the CPU, logging why. Runs only where no {@code libcuda.so.1} is in the usual
 * library folders, judged independently of the backend's own probe.
 */
@EnabledIf("noDriverLibrary")
class NoDriverTest {
  private static final String REASON =
      "no NVIDIA driver on linux-x86_64: libcuda.so.1 was not found; install an NVIDIA driver for"
          + " CUDA 13.0 or newer (580+), or use the CPU backend (--backend cpu,"
          + " spark.moe.backend=cpu)";

  @Test
  void askingForCudaNamesPlatformMissingPieceAndFix() {
    assertThatThrownBy(() -> ExpertBackends.create("cuda"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Cannot use backend cuda: " + REASON)
        .hasNoCause();
  }

  @Test
  void driverSideCheckFailsTheSameWay() {
    assertThatThrownBy(() -> ExpertBackends.check("cuda"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Cannot use backend cuda: " + REASON);
  }

  @Test
  void contextForAnAddressSaysWhy() {
    assertThatThrownBy(() -> CudaContext.forAddress("0"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Cannot use the CUDA backend: " + REASON);
  }

  @Test
  void autoFallsBackToCpuAndLogsTheChoice() {
    String log;
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try (ExpertBackend backend = ExpertBackends.create("auto")) {
      assertThat(backend.name()).isEqualTo("cpu");
    } finally {
      System.setErr(original);
      log = captured.toString(StandardCharsets.UTF_8);
    }
    assertThat(log)
        .contains("Backend auto: skipped cuda: " + REASON)
        .contains("Backend auto: chose cpu");
  }

  @Test
  void unknownBackendListsCuda() {
    assertThatThrownBy(() -> ExpertBackends.create("tpu"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid backend: tpu (expected: one of cuda, cpu, auto)");
  }

  @Test
  void aDriverWithoutGpuAcceptsCudaByNameForItsExecutors() {
    assertThatCode(() -> ExpertBackends.checkName("cuda")).doesNotThrowAnyException();
    assertThatThrownBy(() -> ExpertBackends.checkName("tpu"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid backend: tpu (expected: one of cuda, cpu, auto)");
  }

  static boolean noDriverLibrary() {
    List<String> folders =
        new ArrayList<>(
            List.of(
                "/usr/lib/x86_64-linux-gnu",
                "/lib/x86_64-linux-gnu",
                "/usr/lib64",
                "/lib64",
                "/usr/lib",
                "/lib",
                "/usr/local/nvidia/lib64",
                "/usr/local/nvidia/lib",
                "/usr/lib/wsl/lib"));
    String extra = System.getenv("LD_LIBRARY_PATH");
    if (extra != null) {
      folders.addAll(List.of(extra.split(":")));
    }
    return CudaAvailability.platform().equals("linux-x86_64")
        && folders.stream().noneMatch(f -> Files.exists(Path.of(f, "libcuda.so.1")));
  }
}
