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
 * place that must have it; the spark module has it at run time only), oneDNN with its natives for
 * bf16 compute, and none of the benchmarks.
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

  @Test
  void bundlesOneDnnWithItsLinuxNatives() throws IOException {
    try (JarFile jar = new JarFile(System.getProperty("moe.all.jar"))) {
      List<String> names = jar.stream().map(JarEntry::getName).toList();

      assertThat(names)
          .as("bf16 compute (Bf16Gemm) and the JavaCPP loader its bindings use")
          .contains(
              "dev/sparkmoe/core/nn/Bf16Gemm.class",
              "org/bytedeco/dnnl/global/dnnl.class",
              "org/bytedeco/javacpp/Loader.class");
      assertThat(names)
          .as("oneDNN's, JavaCPP's and OpenCL's natives for linux-x86_64")
          .anyMatch(name -> name.matches("org/bytedeco/dnnl/linux-x86_64/libdnnl\\.so.*"))
          .anyMatch(name -> name.matches("org/bytedeco/javacpp/linux-x86_64/libjnijavacpp\\.so"))
          .anyMatch(name -> name.matches("org/bytedeco/opencl/linux-x86_64/libOpenCL\\.so.*"));
    }
  }

  @Test
  void bundlesTheTokenizersWithTheirLinuxNative() throws IOException {
    try (JarFile jar = new JarFile(System.getProperty("moe.all.jar"))) {
      List<String> names = jar.stream().map(JarEntry::getName).toList();

      assertThat(names)
          .as("tokenizer.json through DJL (core text), with the JNA that DJL's api loads")
          .contains(
              "dev/sparkmoe/core/text/TextTokenizer.class",
              "ai/djl/huggingface/tokenizers/HuggingFaceTokenizer.class",
              "ai/djl/util/Platform.class",
              "com/sun/jna/Native.class",
              "native/lib/tokenizers.properties",
              "native/lib/linux-x86_64/cpu/libtokenizers.so");
      assertThat(names)
          .as("no other platform's tokenizers library")
          .noneMatch(name -> name.startsWith("native/lib/win-x86_64/"))
          .noneMatch(name -> name.startsWith("native/lib/osx-aarch64/"));
    }
  }

  private static String providers(JarFile jar) throws IOException {
    try (InputStream in = jar.getInputStream(jar.getEntry(PROVIDERS))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
