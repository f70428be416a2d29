package dev.sparkmoe.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.balance.HotExpertReplicas;
import dev.sparkmoe.core.batch.ActivationDtype;
import dev.sparkmoe.core.forward.OutputKind;
import dev.sparkmoe.core.placement.PlacementPolicy;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalDouble;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MoeOptionsTest {
  @Test
  void everyKeyIsDeclaredOnceLowerCaseWithADocumentedDefault() {
    Set<String> names = new HashSet<>();
    for (MoeOption<?> option : MoeOptions.ALL) {
      assertThat(option.key()).matches("[a-z0-9.-]+");
      assertThat(names.add(option.key())).as("%s declared once", option.key()).isTrue();
      option.deprecatedAliases().forEach(a -> assertThat(names.add(a)).as(a).isTrue());
      assertThat(option.doc()).as(option.key()).isNotBlank().doesNotContain("\n");
      assertThat(option.defaultDoc()).as(option.key()).isNotBlank();
      option.defaultParsed().ifPresent(v -> assertThat(v).isInstanceOf(option.type()));
    }
    assertThat(names).doesNotContain("test.inject-fault");
  }

  @Test
  void defaultsAreTodays() {
    assertThat(MoeOptions.PLACEMENT.defaultParsed()).contains(PlacementPolicy.SHARED_LAYERS);
    assertThat(MoeOptions.ACTIVATION_DTYPE.defaultParsed()).contains(ActivationDtype.F32);
    assertThat(MoeOptions.KIND.defaultParsed()).contains(OutputKind.EMBEDDING);
    assertThat(MoeOptions.BACKEND.defaultParsed()).contains("cpu");
    assertThat(MoeOptions.ID_COLUMN.defaultParsed()).contains("id");
    assertThat(MoeOptions.TOKENS_COLUMN.defaultParsed()).contains("tokens");
    assertThat(MoeOptions.ON_ROW_ERROR.defaultParsed()).contains("fail");
    assertThat(MoeOptions.REPLICAS.defaultParsed()).contains(HotExpertReplicas.Setting.NONE);
    assertThat(MoeOptions.CAPACITY_FACTOR.defaultParsed()).contains(OptionalDouble.empty());
    assertThat(MoeOptions.DATA_PARALLEL.defaultParsed()).contains(1);
    assertThat(MoeOptions.CUDA_CHUNK_TOKENS.defaultParsed()).contains(2048);
    assertThat(MoeOptions.CUDA_DTYPE.defaultParsed()).contains("bf16");
    assertThat(MoeOptions.CUDA_DEVICE.defaultParsed()).contains("0");
    for (MoeOption<?> open :
        List.of(
            MoeOptions.SLOTS,
            MoeOptions.PARTITIONS,
            MoeOptions.WAVE_ROWS,
            MoeOptions.SAMPLE_ROWS,
            MoeOptions.EXPERT_TP,
            MoeOptions.SLOT_MEMORY,
            MoeOptions.CLUSTER)) {
      assertThat(open.defaultParsed()).as("%s depends on the run", open.key()).isEmpty();
    }
  }

  @Test
  void keysScopesAndAliases() {
    assertThat(MoeOptions.KIND.confKey()).isEqualTo("spark.moe.kind");
    assertThat(MoeOptions.KIND.answersTo("output")).isTrue();
    assertThat(MoeOptions.find(MoeOptions.ALL, "output")).contains(MoeOptions.KIND);
    assertThat(MoeOptions.find(MoeOptions.ALL, "outputs")).isEmpty();
    assertThat(MoeOptions.keys(MoeOptions.inScope(MoeOption.Scope.CALL)))
        .containsExactly(
            "placement",
            "mode",
            "service.micro-batches",
            "service.gather-tokens",
            "service.gather-micros",
            "service.max-in-flight",
            "service.queue-capacity",
            "service.request-timeout-ms",
            "service.connect-timeout-ms",
            "service.max-reconnects",
            "slots",
            "partitions",
            "activation-dtype",
            "compute-dtype",
            "backend",
            "id-column",
            "tokens-column",
            "text-column",
            "tokenizer",
            "on-row-error",
            "wave-rows",
            "sample-rows",
            "replicas",
            "capacity-factor",
            "data-parallel",
            "expert-tp",
            "slot-memory",
            "batch-rows",
            "kind",
            "max-new-tokens",
            "min-new-tokens",
            "temperature",
            "top-k",
            "top-p",
            "min-p",
            "seed",
            "stop-token-ids",
            "ignore-eos",
            "kv-cache-memory",
            "on-invalid-token",
            "output");
    assertThat(MoeOptions.find(MoeOptions.ALL, "on-invalid-token"))
        .as("the old name of on-row-error")
        .contains(MoeOptions.ON_ROW_ERROR);
    assertThat(MoeOptions.inScope(MoeOption.Scope.SESSION)).containsExactly(MoeOptions.CLUSTER);
    assertThat(MoeOptions.inScope(MoeOption.Scope.SYSTEM_PROPERTY))
        .extracting(MoeOption::confKey)
        .containsExactly(
            "spark.moe.cuda.device", "spark.moe.cuda.dtype", "spark.moe.cuda.chunk-tokens");
  }

  @Test
  void parsersNameTheSettingAndWhatIsAllowed() {
    assertThat(MoeOptions.SLOT_MEMORY.parse(" 256m ")).isEqualTo(256L << 20);
    assertThat(MoeOptions.WAVE_ROWS.parse("10")).isEqualTo(10L);
    assertThat(MoeOptions.SAMPLE_ROWS.parse("0")).isZero();
    assertThat(MoeOptions.ON_ROW_ERROR.parse(" SKIP ")).isEqualTo("skip");
    assertThatThrownBy(() -> MoeOptions.SLOTS.parse("0"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid slots: 0 (expected: a positive integer)");
    assertThatThrownBy(() -> MoeOptions.WAVE_ROWS.parse("many"))
        .hasMessage("Invalid wave-rows: many (expected: a positive integer)");
    assertThatThrownBy(() -> MoeOptions.SAMPLE_ROWS.parse("-1"))
        .hasMessage("Invalid sample-rows: -1 (expected: an integer >= 0)");
    assertThatThrownBy(() -> MoeOptions.SLOT_MEMORY.parse("lots"))
        .hasMessage(
            "Invalid slot-memory: lots (expected: a positive number of bytes, e.g. 268435456 or"
                + " 256m)");
    assertThatThrownBy(() -> MoeOptions.CAPACITY_FACTOR.parse("lots"))
        .hasMessage(
            "Invalid capacity factor: lots (expected: a positive number, or none for dropless)");
    assertThatThrownBy(() -> MoeOptions.ON_ROW_ERROR.parse("maybe"))
        .hasMessage("Invalid row-error policy: maybe (expected: fail or skip)");
    assertThatThrownBy(() -> MoeOptions.CUDA_DTYPE.parse("fp8"))
        .hasMessage("Invalid CUDA dtype: fp8 (expected: f16, bf16)");
    assertThatThrownBy(() -> MoeOptions.CUDA_CHUNK_TOKENS.parse("lots"))
        .as("a system property is named by its full key")
        .hasMessage("Invalid spark.moe.cuda.chunk-tokens: lots (expected: a positive integer)");
  }

  @Test
  void systemPropertiesFallBackToTheDefault() {
    String key = MoeOptions.CUDA_CHUNK_TOKENS.confKey();
    System.clearProperty(key);
    try {
      assertThat(MoeOptions.systemProperty(MoeOptions.CUDA_CHUNK_TOKENS)).isEqualTo(2048);
      System.setProperty(key, "512");
      assertThat(MoeOptions.systemProperty(MoeOptions.CUDA_CHUNK_TOKENS)).isEqualTo(512);
    } finally {
      System.clearProperty(key);
    }
  }

  @Test
  void declarationsAreChecked() {
    assertThatThrownBy(
            () -> MoeOption.builder("Wave-Rows", String.class, OptionParsers::text).doc("rows"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid key: Wave-Rows (expected: lower-case with dots and dashes)");
    assertThatThrownBy(
            () -> MoeOption.builder("rows", String.class, OptionParsers::text).doc("rows"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid option rows: no default documented (expected: a default or a defaultDoc)");
  }
}
