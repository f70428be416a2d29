package dev.sparkmoe.core.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelCalibrationTest {
  private final SplittableRandom random = new SplittableRandom();

  @Test
  void writesAndReadsTheSameRows(@TempDir Path dir) {
    List<KernelCalibration.Row> rows =
        List.of(
            new KernelCalibration.Row("h200-sxm", "expert-ffn", "f16", 128, 1024, 2816, seconds()),
            new KernelCalibration.Row("cpu-core", "attention", "f32", 128, 1024, 0, seconds()));
    Path file = dir.resolve("kernels.csv");

    KernelCalibration.of(rows, "test").write(file);
    KernelCalibration read = KernelCalibration.read(file);

    assertThat(read.rows()).hasSize(2);
    for (int i = 0; i < rows.size(); i++) {
      KernelCalibration.Row expected = rows.get(i);
      KernelCalibration.Row actual = read.rows().get(i);
      assertThat(actual.device()).isEqualTo(expected.device());
      assertThat(actual.kernel()).isEqualTo(expected.kernel());
      assertThat(actual.tokens()).isEqualTo(expected.tokens());
      assertThat(actual.seconds())
          .as("9 significant digits in the CSV")
          .isCloseTo(expected.seconds(), within(expected.seconds() * 1e-8));
    }
    assertThat(read.source()).isEqualTo(file.toString());
  }

  @Test
  void interpolatesLinearlyInTokensAndExtendsTheEndSegments() {
    double fixed = seconds();
    double perToken = seconds() / 1000;
    KernelCalibration calibration =
        KernelCalibration.parse(
            "# measured\n"
                + KernelCalibration.HEADER
                + "\n"
                + row(64, fixed + 64 * perToken)
                + row(256, fixed + 256 * perToken)
                + row(1024, fixed + 1024 * perToken)
                + "cpu-core,expert-ffn,f32,512,2048,2816,1.0\n",
            "test");

    for (double tokens : new double[] {100, 700, 4096, 32}) {
      assertThat(calibration.expertSeconds("h200-sxm", tokens, 1024, 2816).getAsDouble())
          .as("affine kernel time at %s tokens", tokens)
          .isCloseTo(fixed + tokens * perToken, within(1e-12));
    }
    assertThat(calibration.expertSeconds("h100-sxm", 100, 1024, 2816)).as("other device").isEmpty();
    assertThat(calibration.expertSeconds("h200-sxm", 100, 2048, 2816)).as("other shape").isEmpty();
    assertThat(calibration.covers("h200-sxm", KernelCalibration.EXPERT_FFN)).isTrue();
    assertThat(calibration.covers("h200-sxm", KernelCalibration.ATTENTION)).isFalse();
  }

  @Test
  void neverGoesBelowTheSmallestMeasurementsShare() {
    KernelCalibration calibration =
        KernelCalibration.parse(
            KernelCalibration.HEADER + "\n" + row(100, 1.0) + row(200, 3.0), "test");

    assertThat(calibration.expertSeconds("h200-sxm", 10, 1024, 2816).getAsDouble())
        .as("the extended segment would be negative; the floor is 10/100 of the 100-token time")
        .isCloseTo(0.1, within(1e-12));
  }

  @Test
  void rejectsAWrongHeader() {
    assertThatThrownBy(() -> KernelCalibration.parse("device,kernel,seconds\n", "k.csv"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid calibration header in k.csv: 'device,kernel,seconds' (expected: '"
                + KernelCalibration.HEADER
                + "')");
  }

  @Test
  void rejectsALineWithMissingFieldsOrBadNumbers() {
    assertThatThrownBy(
            () ->
                KernelCalibration.parse(
                    KernelCalibration.HEADER + "\ncpu-core,expert-ffn\n", "k.csv"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid calibration line 2 in k.csv: 'cpu-core,expert-ffn' (expected: 7 fields, "
                + KernelCalibration.HEADER
                + ")");
    assertThatThrownBy(
            () ->
                KernelCalibration.parse(
                    KernelCalibration.HEADER + "\ncpu-core,expert-ffn,f32,64,1024,2816,-1\n",
                    "k.csv"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid calibration line 2 in k.csv: 'cpu-core,expert-ffn,f32,64,1024,2816,-1'"
                + " (Invalid calibration seconds: -1.0 (expected: a positive number))");
  }

  private double seconds() {
    return 1e-5 + random.nextDouble() * 1e-2;
  }

  private static String row(int tokens, double seconds) {
    return "h200-sxm,expert-ffn,f16," + tokens + ",1024,2816," + seconds + "\n";
  }
}
