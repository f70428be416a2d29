package dev.sparkmoe.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The bridge's status check, which needs no native library. */
class CudaDriverTest {
  @Test
  void successPasses() {
    assertThatCode(() -> CudaDriver.check(0, "cuInit")).doesNotThrowAnyException();
  }

  @Test
  void failedStatusNamesTheCallAndTheStatus() {
    assertThatThrownBy(() -> CudaDriver.check(2, "cuMemAlloc(64 bytes)"))
        .isInstanceOfSatisfying(
            CudaException.class,
            e -> {
              assertThat(e.call()).isEqualTo("cuMemAlloc(64 bytes)");
              assertThat(e.status()).isEqualTo(2);
            })
        .hasMessage("Cannot cuMemAlloc(64 bytes): CUDA_ERROR_OUT_OF_MEMORY (2)");
  }

  @Test
  void unknownStatusStillNamesTheCall() {
    assertThatThrownBy(() -> CudaDriver.check(12345, "cuLaunchKernel(moe_rmsnorm)"))
        .hasMessage("Cannot cuLaunchKernel(moe_rmsnorm): INVALID CUresult: 12345 (12345)");
  }
}
