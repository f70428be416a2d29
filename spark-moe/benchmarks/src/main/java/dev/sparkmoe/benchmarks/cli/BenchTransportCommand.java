package dev.sparkmoe.benchmarks.cli;

import dev.sparkmoe.core.plan.HostTcp;
import dev.sparkmoe.core.plan.KernelCalibration;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench transport}: times round trips of token batches over a real loopback TCP socket
 * ({@link LoopbackTcp}), prints them and stores them as {@link KernelCalibration} rows for {@code
 * moe plan --calibration}. It measures; it never fails on speed.
 */
@Command(
    name = "transport",
    mixinStandardHelpOptions = true,
    description =
        "Time token-batch round trips over a loopback TCP socket and store them as a calibration"
            + " for moe plan (host-staged TCP transport).")
final class BenchTransportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--hidden",
      defaultValue = "1024",
      description = "f16 values per token (default: ${DEFAULT-VALUE}).")
  int hidden;

  @Option(
      names = "--tokens",
      split = ",",
      defaultValue = "1,16,128,1024,4096",
      description = "Tokens per message, comma-separated (default: ${DEFAULT-VALUE}).")
  List<Integer> tokens;

  @Option(
      names = "--repeat",
      defaultValue = "200",
      description = "Timed round trips per size; the median is kept (default: ${DEFAULT-VALUE}).")
  int repeat;

  @Option(
      names = "--out",
      defaultValue = "work/bench/transport-calibration.csv",
      description =
          "Calibration CSV to write; other rows already in it are kept (default:"
              + " ${DEFAULT-VALUE}).")
  Path out;

  @Override
  public Integer call() throws Exception {
    PrintWriter stdout = spec.commandLine().getOut();
    List<KernelCalibration.Row> rows = new ArrayList<>();
    stdout.printf("%8s %12s %14s%n", "tokens", "bytes", "round trip µs");
    try (LoopbackTcp tcp = LoopbackTcp.open()) {
      for (int count : tokens) {
        KernelCalibration.Row row = tcp.roundTrip(count, hidden, repeat);
        rows.add(row);
        stdout.printf(
            Locale.ROOT,
            "%8d %12d %14.1f%n",
            count,
            (long) count * hidden * HostTcp.VALUE_BYTES,
            row.seconds() * 1e6);
      }
    }
    KernelCalibration stored = kept().with(rows, "bench transport");
    Path parent = out.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    stored.write(out);
    stdout.printf(
        Locale.ROOT,
        "Wrote %s; moe plan --calibration %s prices host-staged TCP at these round trips%n",
        out,
        out);
    return 0;
  }

  /** The rows already in {@code out} but this benchmark's. */
  private KernelCalibration kept() {
    if (!Files.exists(out)) {
      return KernelCalibration.empty();
    }
    KernelCalibration old = KernelCalibration.read(out);
    return KernelCalibration.of(
        old.rows().stream().filter(r -> !r.device().equals(HostTcp.DEVICE)).toList(), old.source());
  }
}
