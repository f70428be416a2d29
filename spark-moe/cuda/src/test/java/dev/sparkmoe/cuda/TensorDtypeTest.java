package dev.sparkmoe.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TensorDtypeTest {
  @Test
  void roundsToNearestEven() {
    // 1 + 2^-11 lies halfway between the halves 1 and 1 + 2^-10: ties to even give 1.
    assertThat(TensorDtype.F16.round(1f + 0x1p-11f)).isEqualTo(1f);
    assertThat(TensorDtype.F16.round(1f + 0x1p-11f + 0x1p-20f)).isEqualTo(1f + 0x1p-10f);
    // bfloat16 keeps 8 significant bits: 1 + 2^-8 is halfway, ties to even give 1; between 3 +
    // 2^-6 (odd last bit) and 3 + 2^-5 the tie goes up.
    assertThat(TensorDtype.BF16.round(1f + 0x1p-8f)).isEqualTo(1f);
    assertThat(TensorDtype.BF16.round(3f + 0x1p-6f + 0x1p-7f)).isEqualTo(3f + 0x1p-5f);
  }

  @Test
  void bitsRoundTrip() {
    for (TensorDtype dtype : TensorDtype.values()) {
      assertThat(dtype.toFloat(dtype.bits(-2.5f))).as(dtype.label()).isEqualTo(-2.5f);
    }
    assertThat(TensorDtype.F16.bits(1f)).isEqualTo((short) 0x3c00);
    assertThat(TensorDtype.BF16.bits(1f)).isEqualTo((short) 0x3f80);
  }

  @Test
  void parsesLabels() {
    assertThat(TensorDtype.parse("BF16")).isEqualTo(TensorDtype.BF16);
    assertThat(TensorDtype.parse("f16")).isEqualTo(TensorDtype.F16);
    assertThatThrownBy(() -> TensorDtype.parse("f32"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid CUDA dtype: f32 (expected: f16, bf16)");
  }
}
