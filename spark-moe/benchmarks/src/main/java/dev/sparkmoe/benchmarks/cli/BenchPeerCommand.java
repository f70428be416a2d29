package dev.sparkmoe.benchmarks.cli;

import dev.sparkmoe.core.generate.ModelSpec;
import dev.sparkmoe.core.generate.TokenGenerator;
import dev.sparkmoe.spark.SparkSessions;
import dev.sparkmoe.spark.cli.OneLineErrors;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench peer}: the same generated model and rows through (a) the core engine, (b) the Spark
 * inference job in local mode and (c) PyTorch on the CPU, in one run; checks that their embeddings
 * agree and prints tokens/s, ratios and the fraction of the FLOP floor (the work's FLOPs at the
 * machine's measured sgemm rate). Exit code 1 when the systems disagree; speed never fails it.
 */
@Command(
    name = "peer",
    mixinStandardHelpOptions = true,
    description =
        "Run one model and one set of rows through the core engine, Spark (local) and PyTorch; "
            + "check they agree and print tokens/s against the machine's sgemm rate.")
final class BenchPeerCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--preset",
      defaultValue = "seed-4x16",
      description = "Model preset: tiny or seed-4x16 (default: ${DEFAULT-VALUE}).")
  String preset;

  @Option(
      names = "--tokens",
      defaultValue = "8192",
      description = "Timed tokens, at least (default: ${DEFAULT-VALUE}).")
  long tokens;

  @Option(
      names = "--work",
      defaultValue = "work/bench",
      description = "Work directory; the model is generated here once (default: ${DEFAULT-VALUE}).")
  Path work;

  @Option(
      names = "--python",
      description = "Python with torch and safetensors (default: <repo>/.venv/bin/python).")
  Path python;

  @Option(
      names = "--threads",
      defaultValue = "1",
      description =
          "Threads of every system: core engine workers, Spark local[N], torch threads; one BLAS"
              + " thread each (default: ${DEFAULT-VALUE}).")
  int threads;

  @Option(
      names = "--batch-tokens",
      defaultValue = "4096",
      description = "Tokens per forward batch (default: ${DEFAULT-VALUE}).")
  int batchTokens;

  @Option(
      names = "--min-len",
      defaultValue = "32",
      description = "Shortest row (default: ${DEFAULT-VALUE}).")
  int minLength;

  @Option(
      names = "--max-len",
      defaultValue = "224",
      description = "Longest row (default: ${DEFAULT-VALUE}).")
  int maxLength;

  @Option(
      names = "--seed",
      defaultValue = "7",
      description = "Row seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--repeat",
      defaultValue = "1",
      description =
          "Timed passes per system; the table shows the best and the range (default:"
              + " ${DEFAULT-VALUE}).")
  int repeats;

  @Option(
      names = "--tolerance",
      defaultValue = "1e-4",
      description =
          "Largest relative L2 distance of a row's embedding from the core engine's (default:"
              + " ${DEFAULT-VALUE}).")
  double tolerance;

  @Option(
      names = "--spark-modes",
      split = ",",
      defaultValue = "auto",
      description =
          "Spark exchange modes to run, each a system of its own: shuffle, service, auto, or"
              + " in-task (the in-task placement: no exchange) (default: ${DEFAULT-VALUE}).")
  List<String> sparkModes;

  @Option(
      names = "--slots",
      description =
          "Expert slots of the Spark runs (default: spark.moe.slots, else the task slots; service"
              + " mode needs slots + 1 task slots).")
  Integer slots;

  @Option(names = "--skip-torch", description = "Leave PyTorch out (no Python needed).")
  boolean skipTorch;

  @Override
  public Integer call() {
    checkOptions();
    Path root = repositoryRoot();
    Path interpreter = python != null ? python : root.resolve(BenchRepository.PYTHON);
    if (!skipTorch) {
      requireFile(interpreter, "Python interpreter", "pass --python");
    }
    ModelSpec.Preset chosen = ModelSpec.Preset.parse(preset);
    PrintWriter out = spec.commandLine().getOut();
    BenchWorkload workload = prepare(chosen);
    out.printf(Locale.ROOT, "bench peer: %s, %d thread(s)%n", describe(chosen), threads);
    out.flush();
    BenchMachine.Rate rate = BenchMachine.sgemmRate(threads);
    List<BenchResult> results = new ArrayList<>();
    results.add(BenchCore.run(workload, threads, repeats));
    collectGarbage();
    try (SparkSessions.Handle handle = SparkSessions.open(master(), "bench peer")) {
      for (String mode : sparkModes) {
        results.add(BenchSpark.run(handle.session(), workload, repeats, mode, slots));
        collectGarbage();
      }
    }
    if (!skipTorch) {
      Path script = root.resolve(BenchRepository.SCRIPT);
      results.add(BenchTorch.run(workload, interpreter, script, threads, repeats, work));
    }
    return report(new BenchReport(workload, rate, results, tolerance), out);
  }

  /**
   * Between systems, outside the timed spans: the core engine's weights (GBs for seed-4x16) are
   * garbage once it is done, and the next system should not pay for collecting them.
   */
  private static void collectGarbage() {
    System.gc();
  }

  private int report(BenchReport report, PrintWriter out) {
    out.print(report.table());
    Optional<String> disagreement = report.disagreement();
    if (disagreement.isEmpty()) {
      out.print(report.agreementLine());
    }
    out.flush();
    disagreement.ifPresent(
        message -> spec.commandLine().getErr().println(BenchCommand.NAME + ": " + message));
    return disagreement.isPresent() ? OneLineErrors.FAILED : 0;
  }

  private BenchWorkload prepare(ModelSpec.Preset chosen) {
    TokenGenerator rows = new TokenGenerator(seed, minLength, maxLength, chosen.spec().vocab());
    return BenchWorkload.prepare(chosen.spec(), chosen.cliName(), work, tokens, rows, batchTokens);
  }

  private String master() {
    return "local[" + threads + "]";
  }

  private static String describe(ModelSpec.Preset preset) {
    ModelSpec s = preset.spec();
    return String.format(
        Locale.ROOT,
        "%s (%d layers x %d experts, top-%d, hidden %d, ffn %d, %s)",
        preset.cliName(),
        s.layers(),
        s.experts(),
        s.topK(),
        s.hidden(),
        s.ffn(),
        s.dtype().safetensorsName());
  }

  private void checkOptions() {
    positive("tokens", tokens);
    positive("threads", threads);
    positive("repeat", repeats);
    positive("batch-tokens", batchTokens);
    if (!(tolerance >= 0)) {
      throw new IllegalArgumentException(
          String.format(Locale.ROOT, "Invalid tolerance: %s (expected: a number >= 0)", tolerance));
    }
  }

  private static void positive(String name, long value) {
    if (value < 1) {
      throw new IllegalArgumentException(
          String.format("Invalid %s: %d (expected: a positive integer)", name, value));
    }
  }

  private Path repositoryRoot() {
    return BenchRepository.root()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "Cannot find "
                        + BenchRepository.SCRIPT
                        + " in any parent of the working directory or of the jar; run from the"
                        + " repository or set -Dmoe.root=<repository>"));
  }

  private static void requireFile(Path file, String what, String fix) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(
          String.format("Cannot find the %s: %s is not a file (%s)", what, file, fix));
    }
  }
}
