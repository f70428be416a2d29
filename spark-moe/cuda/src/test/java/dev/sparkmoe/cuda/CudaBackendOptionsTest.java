package dev.sparkmoe.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CudaBackendOptionsTest {
  @AfterEach
  void clearProperties() {
    System.clearProperty(CudaBackendOptions.DEVICE_PROPERTY);
    System.clearProperty(CudaBackendOptions.DTYPE_PROPERTY);
    System.clearProperty(CudaBackendOptions.CHUNK_TOKENS_PROPERTY);
  }

  @Test
  void defaultsAreGpuZeroBf16() {
    assertThat(CudaBackendOptions.fromSystemProperties())
        .isEqualTo(new CudaBackendOptions("0", TensorDtype.BF16, 2048))
        .isEqualTo(CudaBackendOptions.defaults());
  }

  @Test
  void systemPropertiesOverride() {
    System.setProperty(CudaBackendOptions.DEVICE_PROPERTY, "3");
    System.setProperty(CudaBackendOptions.DTYPE_PROPERTY, "F16");
    System.setProperty(CudaBackendOptions.CHUNK_TOKENS_PROPERTY, " 512 ");
    assertThat(CudaBackendOptions.fromSystemProperties())
        .isEqualTo(new CudaBackendOptions("3", TensorDtype.F16, 512));
  }

  @Test
  void invalidPropertiesAreNamed() {
    System.setProperty(CudaBackendOptions.DTYPE_PROPERTY, "fp8");
    assertThatThrownBy(CudaBackendOptions::fromSystemProperties)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid CUDA dtype: fp8 (expected: f16, bf16)");
    System.clearProperty(CudaBackendOptions.DTYPE_PROPERTY);
    System.setProperty(CudaBackendOptions.CHUNK_TOKENS_PROPERTY, "lots");
    assertThatThrownBy(CudaBackendOptions::fromSystemProperties)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid spark.moe.cuda.chunk-tokens: lots (expected: a positive integer)");
  }

  @Test
  void invalidValues() {
    CudaBackendOptions d = CudaBackendOptions.defaults();
    assertThatThrownBy(() -> d.withChunkTokens(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid chunk tokens: 0 (expected: >= 1)");
    assertThatThrownBy(() -> d.withDeviceAddress(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid GPU address:   (expected: a CUDA device ordinal)");
    assertThat(d.withDtype(TensorDtype.F16).withChunkTokens(64).withDeviceAddress("1"))
        .isEqualTo(new CudaBackendOptions("1", TensorDtype.F16, 64));
  }

  @Test
  void addressesAreDeviceOrdinals() {
    assertThat(CudaContext.parseOrdinal(" 1 ", 2)).isEqualTo(1);
    assertThatThrownBy(() -> CudaContext.parseOrdinal("2", 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid GPU address: 2 (expected: a CUDA device ordinal, 0 <= n < 2 here)");
    assertThatThrownBy(() -> CudaContext.parseOrdinal("gpu0", 2))
        .hasMessage("Invalid GPU address: gpu0 (expected: a CUDA device ordinal, 0 <= n < 2 here)");
  }

  @Test
  void theGpuSparkAssignedIsUsedUnlessThePropertyOverridesIt() {
    assertThat(CudaBackendProvider.forAddress("5").deviceAddress()).isEqualTo("5");
    assertThat(CudaBackendProvider.forAddress(null).deviceAddress())
        .isEqualTo(CudaBackendOptions.defaults().deviceAddress());

    System.setProperty(CudaBackendOptions.DEVICE_PROPERTY, "2");

    assertThat(CudaBackendProvider.forAddress("5").deviceAddress()).isEqualTo("2");
  }
}
