package dev.sparkmoe.core;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ChecksTest {
  @Test
  void aPassingCheckThrowsNothing() {
    assertThatCode(
            () -> {
              Checks.checkArgument(true, "Invalid x: %d", 1);
              Checks.checkState(true, "Cannot run x: %s", "closed");
              Checks.positive("rate", 0.5);
              Checks.nonNegative("cost", 0);
              Checks.atLeast("nodes", 1, 1);
              Checks.notBlank("name", "a");
            })
        .doesNotThrowAnyException();
  }

  @Test
  void aFailingCheckFormatsItsMessage() {
    assertThatThrownBy(() -> Checks.checkArgument(false, "Invalid layer: %d (expected: >= 0)", -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid layer: -1 (expected: >= 0)");
    assertThatThrownBy(() -> Checks.checkState(false, "Cannot use %s: it is closed", "stream s"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Cannot use stream s: it is closed");
  }

  @Test
  void numberChecksNameTheThingAndTheValue() {
    assertThatThrownBy(() -> Checks.positive("rate", Double.NaN))
        .hasMessage("Invalid rate: NaN (expected: a positive number)");
    assertThatThrownBy(() -> Checks.positive("rate", Double.POSITIVE_INFINITY))
        .hasMessage("Invalid rate: Infinity (expected: a positive number)");
    assertThatThrownBy(() -> Checks.nonNegative("cost", -0.5))
        .hasMessage("Invalid cost: -0.5 (expected: a non-negative number)");
    assertThatThrownBy(() -> Checks.atLeast("nodes", 0, 1))
        .hasMessage("Invalid nodes: 0 (expected: at least 1)");
    assertThatThrownBy(() -> Checks.notBlank("cluster name", " "))
        .hasMessage("Invalid cluster name: ' ' (expected: a non-blank name)");
    assertThatThrownBy(() -> Checks.notBlank("cluster name", null))
        .hasMessage("Invalid cluster name: 'null' (expected: a non-blank name)");
  }
}
