package dev.sparkmoe.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import jcuda.driver.CUresult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** JCuda's classes and its driver library are on the classpath, whether or not a driver is. */
class JCudaClassesTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "jcuda.driver.JCudaDriver",
        "jcuda.driver.CUdeviceptr",
        "jcuda.driver.CUstream",
        "jcuda.driver.CUevent",
        "jcuda.Pointer"
      })
  void jcudaClassLoadsWithoutInitializing(String name) throws ClassNotFoundException {
    // Initializing JCudaDriver would load its native library; loading the class must not.
    Class<?> type = Class.forName(name, false, getClass().getClassLoader());
    assertThat(type.getName()).isEqualTo(name);
  }

  @Test
  void statusNamesComeFromJava() {
    assertThat(CUresult.stringFor(CUresult.CUDA_ERROR_NO_DEVICE))
        .as("CUresult 100, as cuda.h names it")
        .isEqualTo("CUDA_ERROR_NO_DEVICE");
  }

  @Test
  void driverLibraryForThisPlatformIsPackaged() {
    assertThat(getClass().getResource("/lib/libJCudaDriver-12.0.0-linux-x86_64.so"))
        .as("JCuda's driver-API library, loaded from the natives jar")
        .isNotNull();
  }

  @Test
  void backendIsRegisteredWithServiceLoader() {
    assertThat(dev.sparkmoe.core.backend.ExpertBackends.providers())
        .extracting(p -> p.name() + "@" + p.priority())
        .as("providers, highest priority first")
        .containsExactly("cuda@100", "cpu@0");
  }
}
