package dev.sparkmoe.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.core.batch.ActivationDtype;
import dev.sparkmoe.core.forward.OutputKind;
import dev.sparkmoe.core.placement.PlacementPolicy;
import dev.sparkmoe.spark.pipeline.InvalidTokenPolicy;
import dev.sparkmoe.spark.pipeline.MoeSparkPlugin;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The conf/ templates stay loadable and in step with the README: every spark.moe.* key a template
 * names (set or commented out) is one the README documents, the reference template documents every
 * one, and the values set are valid. The local template runs for real in {@link
 * MoeInferenceExampleTest}, the standalone one in {@code StandaloneClusterIT}.
 */
class ConfTemplatesTest {
  private static final Pattern KEY = Pattern.compile("`(spark\\.moe\\.[a-z0-9.-]+)`");
  private static final Pattern TEMPLATE_KEY =
      Pattern.compile("^#?\\s*(spark\\.moe\\.[a-z0-9.-]+)\\s");

  @Test
  void thereIsATemplateForEveryKindOfCluster() {
    assertThat(ConfTemplates.all())
        .extracting(p -> p.getFileName().toString())
        .containsExactlyInAnyOrder(
            "spark-defaults.conf.template",
            "spark-defaults-local-cpu.conf.template",
            "spark-defaults-standalone-gpu.conf.template",
            "spark-defaults-k8s-gpu.conf.template",
            "spark-defaults-rapids.conf.template");
  }

  @Test
  void everyTemplateNamesOnlyTheKeysTheReadmeDocuments() throws IOException {
    Set<String> documented = readmeKeys();
    assertThat(documented).contains("spark.moe.placement", "spark.moe.backend", "spark.moe.output");
    for (Path template : ConfTemplates.all()) {
      assertThat(templateKeys(template))
          .as("spark.moe.* keys in %s", template)
          .isSubsetOf(documented);
    }
  }

  @Test
  void theReferenceTemplateDocumentsEveryKey() throws IOException {
    assertThat(templateKeys(ConfTemplates.conf().resolve("spark-defaults.conf.template")))
        .isEqualTo(readmeKeys());
  }

  @Test
  void valuesAreValidAndCarryNoTrailingComment() {
    for (Path template : ConfTemplates.all()) {
      Map<String, String> settings = ConfTemplates.read(template);
      settings.forEach(
          (key, value) ->
              assertThat(value)
                  .as("%s in %s (properties files take no comment after a value)", key, template)
                  .doesNotContain("#")
                  .isNotEmpty());
      checkIfSet(settings, "spark.moe.placement", PlacementPolicy::parse);
      checkIfSet(settings, "spark.moe.activation-dtype", ActivationDtype::parse);
      checkIfSet(settings, "spark.moe.on-row-error", InvalidTokenPolicy::parse);
      checkIfSet(settings, "spark.moe.output", OutputKind::parse);
      if (settings.containsKey("spark.moe.backend")) {
        assertThat(settings.get("spark.moe.backend")).isIn("cpu", "cuda", "auto");
      }
      assertThat(settings)
          .as("%s: Kryo with spark-moe's registrator", template)
          .containsEntry(
              "spark.kryo.registrator", "dev.sparkmoe.spark.pipeline.MoeKryoRegistrator");
      assertThat(settings).as("%s: spark.plugins", template).containsKey("spark.plugins");
      assertThat(settings.get("spark.plugins").split(","))
          .as("%s: spark-moe's executor plugin", template)
          .contains(MoeSparkPlugin.class.getName());
    }
  }

  @Test
  void gpuTemplatesGiveOneGpuPerExecutorAndKeepExecutorsFixed() {
    for (String name :
        new String[] {
          "spark-defaults-standalone-gpu.conf.template",
          "spark-defaults-k8s-gpu.conf.template",
          "spark-defaults-rapids.conf.template"
        }) {
      Map<String, String> settings = ConfTemplates.read(ConfTemplates.conf().resolve(name));
      assertThat(settings)
          .as(name)
          .containsEntry("spark.executor.resource.gpu.amount", "1")
          .containsEntry(
              "spark.executor.resource.gpu.discoveryScript",
              "/opt/spark-moe/conf/getGpusResources.sh")
          .containsEntry("spark.dynamicAllocation.enabled", "false")
          .containsEntry("spark.scheduler.minRegisteredResourcesRatio", "1.0")
          .containsKey("spark.locality.wait");
    }
    assertThat(Files.isExecutable(ConfTemplates.conf().resolve("getGpusResources.sh"))).isTrue();
  }

  @Test
  void rapidsLeavesGpuMemoryForOurKernels() {
    Map<String, String> settings =
        ConfTemplates.read(ConfTemplates.conf().resolve("spark-defaults-rapids.conf.template"));
    assertThat(Double.parseDouble(settings.get("spark.rapids.memory.gpu.maxAllocFraction")))
        .isLessThan(1.0)
        .isGreaterThanOrEqualTo(
            Double.parseDouble(settings.get("spark.rapids.memory.gpu.allocFraction")));
    assertThat(settings.get("spark.shuffle.manager"))
        .as("the shuffle manager of the shim the override names")
        .isEqualTo("com.nvidia.spark.rapids.spark355.RapidsShuffleManager");
    assertThat(settings)
        .containsEntry(
            "spark.rapids.shims-provider-override",
            "com.nvidia.spark.rapids.shims.spark355.SparkShimServiceProvider");
    assertThat(settings.get("spark.plugins").split(","))
        .as("RAPIDS' plugin, then spark-moe's")
        .containsExactly("com.nvidia.spark.SQLPlugin", MoeSparkPlugin.class.getName());
  }

  private static <T> void checkIfSet(
      Map<String, String> settings, String key, java.util.function.Function<String, T> parse) {
    if (settings.containsKey(key)) {
      assertThat(parse.apply(settings.get(key))).as(key).isNotNull();
    }
  }

  private static Set<String> readmeKeys() throws IOException {
    Set<String> keys = new TreeSet<>();
    // The key column of the Configuration table: "| `spark.moe.a`, `spark.moe.b` | default |
    // meaning |".
    for (String line : Files.readAllLines(ConfTemplates.root().resolve("README.md"))) {
      if (line.startsWith("| `spark.moe.")) {
        Matcher m = KEY.matcher(line.split("\\|", 3)[1]);
        while (m.find()) {
          keys.add(m.group(1));
        }
      }
    }
    return keys;
  }

  private static Set<String> templateKeys(Path template) throws IOException {
    Set<String> keys = new TreeSet<>();
    for (String line : Files.readAllLines(template)) {
      Matcher m = TEMPLATE_KEY.matcher(line);
      if (m.find()) {
        keys.add(m.group(1));
      }
    }
    return keys;
  }
}
