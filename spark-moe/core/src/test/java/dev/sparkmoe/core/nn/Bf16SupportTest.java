package dev.sparkmoe.core.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which oneDNN kernels count as bf16 compute, and what the refusals say; runs on any CPU. */
class Bf16SupportTest {
  @Test
  void acceptsKernelsOnBf16Instructions() {
    assertThat(Bf16Support.unsupportedReason("oneDNN 3.3.4 brg:avx512_core_bf16", Set.of()))
        .isEmpty();
    assertThat(Bf16Support.unsupportedReason("oneDNN 3.3.4 brg:avx512_core_amx", Set.of()))
        .isEmpty();
  }

  @Test
  void refusesEmulationAndReferenceKernelsNamingTheFlagsAndTheFix() {
    assertThat(
            Bf16Support.unsupportedReason(
                "oneDNN 3.3.4 brg:avx512_core", Set.of("avx512f", "avx512bw", "sse2")))
        .hasValue(
            "oneDNN picked oneDNN 3.3.4 brg:avx512_core, which has no bf16 instructions (CPU bf16"
                + " flags found: none; expected one of [avx512_bf16, amx_bf16, avx_ne_convert]);"
                + " use --compute-dtype f32 (ComputeDtype.F32)");
    assertThat(Bf16Support.unsupportedReason("oneDNN 3.3.4 ref:any", Set.of("amx_bf16", "avx2")))
        .get()
        .asString()
        .contains("ref:any")
        .contains("CPU bf16 flags found: amx_bf16;");
  }

  @Test
  void loadFailureNamesThePlatformAndTheFix() {
    assertThat(Bf16Support.loadFailure(new UnsatisfiedLinkError("no jnidnnl in java.library.path")))
        .startsWith("oneDNN's natives do not load on ")
        .contains(System.getProperty("os.arch") + ": java.lang.UnsatisfiedLinkError: no jnidnnl")
        .endsWith("; use --compute-dtype f32 (ComputeDtype.F32)");
  }

  @Test
  void readsThisMachinesCpuFlags() {
    assertThat(Bf16Support.cpuFlags()).as("/proc/cpuinfo flags on Linux x86").contains("sse2");
  }

  @Test
  void computeDtypeParsesItsNamesOnly() {
    assertThat(ComputeDtype.parse("bf16")).isEqualTo(ComputeDtype.BF16);
    assertThat(ComputeDtype.parse("F32")).isEqualTo(ComputeDtype.F32);
    assertThat(ComputeDtype.BF16.optionName()).isEqualTo("bf16");
    assertThatThrownBy(() -> ComputeDtype.parse("fp8"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid compute dtype: fp8 (expected: one of f32, bf16)");
  }
}
