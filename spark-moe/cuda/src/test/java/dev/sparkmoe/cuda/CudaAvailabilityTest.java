package dev.sparkmoe.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Every reason the CUDA backend can be unavailable, through a driver probe that fails on cue. */
class CudaAvailabilityTest {
  private static final String CPU = "use the CPU backend (--backend cpu, spark.moe.backend=cpu)";

  @Test
  void otherPlatformsAreNamed() {
    assertThat(diagnose("apple-aarch64", new FakeDriver()))
        .contains(
            "spark-moe-cuda ships JCuda's driver library for linux-x86_64 only, and this is"
                + " apple-aarch64; "
                + CPU);
  }

  @Test
  void missingDriverLibraryIsNamedWithTheFix() {
    FakeDriver driver = new FakeDriver();
    driver.loadError =
        new UnsatisfiedLinkError(
            "Error while loading native library \"JCudaDriver-12.0.0-linux-x86_64\"\n"
                + "/tmp/libJCudaDriver-12.0.0-linux-x86_64.so: libcuda.so.1: cannot open shared"
                + " object file: No such file or directory");
    assertThat(diagnose("linux-x86_64", driver))
        .contains(
            "no NVIDIA driver on linux-x86_64: libcuda.so.1 was not found; install an NVIDIA"
                + " driver for CUDA 13.0 or newer (580+), or "
                + CPU);
  }

  @Test
  void secondLoadAttemptIsRecognizedByItsCause() {
    FakeDriver driver = new FakeDriver();
    driver.loadError = new NoClassDefFoundError("Could not initialize class JCudaDriver");
    driver.loadError.initCause(new UnsatisfiedLinkError("libcuda.so.1: cannot open shared object"));
    assertThat(diagnose("linux-x86_64", driver).orElseThrow())
        .startsWith("no NVIDIA driver on linux-x86_64: libcuda.so.1 was not found");
  }

  @Test
  void otherLoadFailuresQuoteTheError() {
    FakeDriver driver = new FakeDriver();
    driver.loadError = new UnsatisfiedLinkError("Could not create temp file\nsecond line");
    assertThat(diagnose("linux-x86_64", driver))
        .contains(
            "JCuda's driver library did not load on linux-x86_64 (UnsatisfiedLinkError: Could not"
                + " create temp file); check that java.io.tmpdir is writable, or "
                + CPU);
  }

  @Test
  void driverThatDoesNotStartIsNamedWithItsStatus() {
    FakeDriver driver = new FakeDriver();
    driver.initStatus = 100;
    assertThat(diagnose("linux-x86_64", driver))
        .contains(
            "the NVIDIA driver on linux-x86_64 did not start (cuInit: CUDA_ERROR_NO_DEVICE (100));"
                + " check that this JVM sees a GPU (CUDA_VISIBLE_DEVICES,"
                + " spark.executor.resource.gpu.amount), or "
                + CPU);
  }

  @Test
  void oldDriverNamesBothVersions() {
    FakeDriver driver = new FakeDriver();
    driver.version = 12040;
    assertThat(diagnose("linux-x86_64", driver))
        .contains(
            "the NVIDIA driver on linux-x86_64 supports CUDA 12.4, and the kernels need CUDA 13.0;"
                + " install driver 580 or newer, or "
                + CPU);
  }

  @Test
  void noVisibleDevice() {
    FakeDriver driver = new FakeDriver();
    driver.capabilities = new int[0];
    assertThat(diagnose("linux-x86_64", driver))
        .contains(
            "no CUDA GPU is visible on linux-x86_64 (driver for CUDA 13.0, 0 devices); check"
                + " CUDA_VISIBLE_DEVICES and spark.executor.resource.gpu.amount, or "
                + CPU);
  }

  @Test
  void gpusOlderThanAmpereAreListed() {
    FakeDriver driver = new FakeDriver();
    driver.capabilities = new int[] {75, 70};
    assertThat(diagnose("linux-x86_64", driver))
        .contains(
            "no GPU of compute capability 8.0 or newer on linux-x86_64 (found: GPU0 7.5, GPU1 7.0);"
                + " the kernels need an Ampere GPU or newer, so "
                + CPU);
  }

  @Test
  void oneAmpereGpuIsEnough() {
    FakeDriver driver = new FakeDriver();
    driver.capabilities = new int[] {75, 86};
    assertThat(diagnose("linux-x86_64", driver)).isEmpty();
  }

  @Test
  void missingKernelsAreNamedAfterTheDriver() {
    Optional<String> reason =
        CudaAvailability.diagnose(
            "linux-x86_64",
            new FakeDriver(),
            () -> Optional.of("nvcc was not on the PATH when this jar was built"));
    assertThat(reason)
        .contains(
            "this spark-moe-cuda jar has no CUDA kernels on linux-x86_64 (nvcc was not on the PATH"
                + " when this jar was built); rebuild it with nvcc (CUDA 13) on the PATH, or "
                + CPU);
  }

  @Test
  void platformOfThisJvm() {
    String expected =
        System.getProperty("os.name").startsWith("Linux")
                && System.getProperty("os.arch").equals("amd64")
            ? "linux-x86_64"
            : CudaAvailability.platform();
    assertThat(CudaAvailability.platform()).isEqualTo(expected).matches("[a-z0-9_]+-[a-z0-9_]+");
  }

  @Test
  void versionsAreWrittenAsCudaDoes() {
    assertThat(CudaAvailability.cudaVersion(13000)).isEqualTo("13.0");
    assertThat(CudaAvailability.cudaVersion(12040)).isEqualTo("12.4");
    assertThat(CudaAvailability.capabilityName(90)).isEqualTo("9.0");
  }

  private static Optional<String> diagnose(String platform, FakeDriver driver) {
    return CudaAvailability.diagnose(platform, driver, Optional::empty);
  }

  /** A healthy driver (CUDA 13.0, one sm_90 GPU) unless a field says otherwise. */
  private static final class FakeDriver extends CudaAvailability.DriverProbe {
    LinkageError loadError;
    int initStatus;
    int version = 13000;
    int[] capabilities = {90};

    @Override
    void load() {
      if (loadError != null) {
        throw loadError;
      }
    }

    @Override
    void init() {
      CudaDriver.check(initStatus, "cuInit");
    }

    @Override
    int driverVersion() {
      return version;
    }

    @Override
    int deviceCount() {
      return capabilities.length;
    }

    @Override
    int computeCapability(int ordinal) {
      return capabilities[ordinal];
    }

    @Override
    String deviceName(int ordinal) {
      return "GPU" + ordinal;
    }
  }
}
