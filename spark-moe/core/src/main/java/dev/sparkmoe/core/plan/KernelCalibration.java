package dev.sparkmoe.core.plan;

import dev.sparkmoe.core.Checks;
import dev.sparkmoe.core.IoErrors;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * Measured kernel times that replace datasheet rates in the cost model. Benchmarks write them as a
 * small CSV (the JMH benchmarks and {@code bench placements} for CPU cores, the GPU check for
 * GPUs):
 *
 * <pre>
 * device,kernel,dtype,tokens,hidden,ffn,seconds
 * cpu-core,expert-ffn,f32,256,1024,2816,0.0312
 * h200-sxm,expert-ffn,f16,1024,1024,2816,0.000041
 * cpu-core,attention,f32,128,1024,0,0.0019
 * </pre>
 *
 * <p>{@code device} matches {@link DeviceSpec#name()}. Kernels: {@value #EXPERT_FFN} (one expert,
 * gate-up GEMM + SwiGLU + down GEMM, over {@code tokens} tokens, launches included) and {@value
 * #ATTENTION} (one sequence of {@code tokens} tokens through one layer's attention; {@code ffn} is
 * 0). Times in between measured token counts are interpolated linearly (a kernel's time is close to
 * affine in its tokens); outside, the nearest segment is extended. Immutable.
 */
public final class KernelCalibration {
  public static final String EXPERT_FFN = "expert-ffn";
  public static final String ATTENTION = "attention";
  static final String HEADER = "device,kernel,dtype,tokens,hidden,ffn,seconds";

  /**
   * One measurement.
   *
   * @param seconds wall time of one call
   */
  public record Row(
      String device, String kernel, String dtype, int tokens, int hidden, int ffn, double seconds) {
    public Row {
      Checks.notBlank("calibration device", device);
      Checks.notBlank("calibration kernel", kernel);
      Checks.atLeast("calibration tokens", tokens, 1);
      Checks.atLeast("calibration hidden", hidden, 1);
      Checks.atLeast("calibration ffn", ffn, 0);
      Checks.positive("calibration seconds", seconds);
    }

    String toCsv() {
      return String.format(
          Locale.ROOT,
          "%s,%s,%s,%d,%d,%d,%.9g",
          device,
          kernel,
          dtype,
          tokens,
          hidden,
          ffn,
          seconds);
    }
  }

  private static final KernelCalibration EMPTY = new KernelCalibration(List.of(), "none");

  private final List<Row> rows;
  private final String source;

  private KernelCalibration(List<Row> rows, String source) {
    this.rows = List.copyOf(rows);
    this.source = source;
  }

  public static KernelCalibration empty() {
    return EMPTY;
  }

  public static KernelCalibration of(List<Row> rows, String source) {
    return new KernelCalibration(rows, source);
  }

  /** Reads a calibration CSV. */
  public static KernelCalibration read(Path file) {
    try {
      return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    } catch (IOException e) {
      throw IoErrors.cannot("read kernel calibration " + file, e);
    }
  }

  /**
   * Parses CSV text; blank lines and lines starting with {@code #} are skipped.
   *
   * @param source names the text in errors
   */
  public static KernelCalibration parse(String csv, String source) {
    List<Row> rows = new ArrayList<>();
    String[] lines = csv.split("\r?\n", -1);
    boolean header = false;
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].trim();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      if (!header) {
        if (!line.equals(HEADER)) {
          throw new IllegalArgumentException(
              String.format(
                  "Invalid calibration header in %s: '%s' (expected: '%s')", source, line, HEADER));
        }
        header = true;
        continue;
      }
      rows.add(row(line, source, i + 1));
    }
    return new KernelCalibration(rows, source);
  }

  private static Row row(String line, String source, int lineNumber) {
    String[] f = line.split(",", -1);
    if (f.length != 7) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid calibration line %d in %s: '%s' (expected: 7 fields, %s)",
              lineNumber, source, line, HEADER));
    }
    try {
      return new Row(
          f[0].trim(),
          f[1].trim(),
          f[2].trim(),
          Integer.parseInt(f[3].trim()),
          Integer.parseInt(f[4].trim()),
          Integer.parseInt(f[5].trim()),
          Double.parseDouble(f[6].trim()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid calibration line %d in %s: '%s' (%s)",
              lineNumber, source, line, e.getMessage()),
          e);
    }
  }

  public List<Row> rows() {
    return rows;
  }

  /** Where the rows came from (a file name, or what measured them). */
  public String source() {
    return source;
  }

  public boolean isEmpty() {
    return rows.isEmpty();
  }

  /** This calibration plus {@code more} rows. */
  public KernelCalibration with(List<Row> more, String moreSource) {
    List<Row> all = new ArrayList<>(rows);
    all.addAll(more);
    return new KernelCalibration(all, isEmpty() ? moreSource : source + " + " + moreSource);
  }

  public String toCsv() {
    StringBuilder out = new StringBuilder(HEADER).append('\n');
    rows.forEach(row -> out.append(row.toCsv()).append('\n'));
    return out.toString();
  }

  public void write(Path file) {
    try {
      Files.writeString(file, toCsv(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw IoErrors.cannot("write kernel calibration " + file, e);
    }
  }

  /** Measured time of one expert over {@code tokens} tokens on {@code device}, if measured. */
  public OptionalDouble expertSeconds(String device, double tokens, int hidden, int ffn) {
    return interpolate(device, EXPERT_FFN, tokens, hidden, ffn);
  }

  /** Measured time of one sequence of {@code tokens} through attention, if measured. */
  public OptionalDouble attentionSeconds(String device, double tokens, int hidden) {
    return interpolate(device, ATTENTION, tokens, hidden, 0);
  }

  /** Whether {@code device} has any measured {@code kernel} row. */
  public boolean covers(String device, String kernel) {
    return rows.stream().anyMatch(r -> r.device().equals(device) && r.kernel().equals(kernel));
  }

  private OptionalDouble interpolate(
      String device, String kernel, double tokens, int hidden, int ffn) {
    List<Row> points =
        rows.stream()
            .filter(r -> r.device().equals(device) && r.kernel().equals(kernel))
            .filter(r -> r.hidden() == hidden && r.ffn() == ffn)
            .sorted(Comparator.comparingInt(Row::tokens))
            .toList();
    if (points.isEmpty() || tokens <= 0) {
      return OptionalDouble.empty();
    }
    if (points.size() == 1) {
      return OptionalDouble.of(points.get(0).seconds() * tokens / points.get(0).tokens());
    }
    int upper = 1;
    while (upper < points.size() - 1 && points.get(upper).tokens() < tokens) {
      upper++;
    }
    Row a = points.get(upper - 1);
    Row b = points.get(upper);
    double slope = (b.seconds() - a.seconds()) / (b.tokens() - a.tokens());
    double seconds = a.seconds() + slope * (tokens - a.tokens());
    // Below the smallest measurement the extended segment may reach zero; a call never costs less
    // than its per-token share of the smallest one.
    double floor = points.get(0).seconds() * Math.min(1, tokens / points.get(0).tokens());
    return OptionalDouble.of(Math.max(seconds, floor));
  }
}
