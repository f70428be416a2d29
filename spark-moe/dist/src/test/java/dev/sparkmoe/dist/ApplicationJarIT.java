package dev.sparkmoe.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * What the application jar holds: the CUDA backend and its ServiceLoader registration (the one
 * place that must have it; the spark module has it at run time only), and none of the benchmarks.
 */
class ApplicationJarIT {
  private static final String PROVIDERS =
      "META-INF/services/dev.sparkmoe.core.backend.ExpertBackendProvider";

  @Test
  void bundlesTheCudaBackendAndNoBenchmarks() throws IOException {
    try (JarFile jar = new JarFile(System.getProperty("moe.all.jar"))) {
      List<String> names = jar.stream().map(JarEntry::getName).toList();

      assertThat(names)
          .as("the CUDA backend and the JCuda driver API")
          .contains("dev/sparkmoe/cuda/CudaExpertBackend.class", "jcuda/driver/JCudaDriver.class");
      assertThat(providers(jar))
          .as("both backends registered for ServiceLoader")
          .contains(
              "dev.sparkmoe.core.backend.CpuExpertBackend$Provider",
              "dev.sparkmoe.cuda.CudaBackendProvider");
      assertThat(names)
          .as("the bench command lives in spark-moe/benchmarks, outside the product")
          .noneMatch(name -> name.startsWith("dev/sparkmoe/benchmarks/"))
          .noneMatch(name -> name.startsWith("dev/sparkmoe/spark/bench/"))
          .noneMatch(name -> name.startsWith("dev/sparkmoe/spark/cli/Bench"));
    }
  }

  private static String providers(JarFile jar) throws IOException {
    try (InputStream in = jar.getInputStream(jar.getEntry(PROVIDERS))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
