package dev.sparkmoe.core.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ActivationDtypeTest {
  @Test
  void parsesItsCliNames() {
    for (ActivationDtype dtype : ActivationDtype.values()) {
      assertThat(ActivationDtype.parse(dtype.cliName())).isEqualTo(dtype);
    }
    assertThat(ActivationDtype.parse("BF16")).as("case is ignored").isEqualTo(ActivationDtype.BF16);
  }

  @Test
  void namesAndSizes() {
    assertThat(ActivationDtype.F32.cliName()).isEqualTo("f32");
    assertThat(ActivationDtype.F16.cliName()).isEqualTo("f16");
    assertThat(ActivationDtype.BF16.cliName()).isEqualTo("bf16");
    assertThat(ActivationDtype.F32.sizeBytes()).isEqualTo(4);
    assertThat(ActivationDtype.F16.sizeBytes()).isEqualTo(2);
    assertThat(ActivationDtype.BF16.sizeBytes()).isEqualTo(2);
  }

  @Test
  void rejectsUnknownNamesListingTheValidOnes() {
    assertThatThrownBy(() -> ActivationDtype.parse("fp8"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid activation dtype: fp8 (expected: one of f32, f16, bf16)");
    assertThatThrownBy(() -> ActivationDtype.parse(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid activation dtype: null (expected: one of f32, f16, bf16)");
  }
}
