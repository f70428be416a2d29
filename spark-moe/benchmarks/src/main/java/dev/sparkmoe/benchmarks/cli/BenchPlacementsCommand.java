package dev.sparkmoe.benchmarks.cli;

import dev.sparkmoe.benchmarks.placements.BenchRuns;
import dev.sparkmoe.benchmarks.placements.PlacementComparison;
import dev.sparkmoe.benchmarks.placements.PlacementPlots;
import dev.sparkmoe.benchmarks.placements.PlacementResult;
import dev.sparkmoe.core.IoErrors;
import dev.sparkmoe.core.generate.ModelGenerator;
import dev.sparkmoe.core.generate.ModelSpec;
import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.placement.PlacementPolicy;
import dev.sparkmoe.core.plan.CostModel;
import dev.sparkmoe.core.plan.CpuKernelMeasurement;
import dev.sparkmoe.core.plan.KernelCalibration;
import dev.sparkmoe.core.plan.ModelShape;
import dev.sparkmoe.core.plan.Planner;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench placements}: the same job under several placements on a real multi-process cluster
 * on this machine ({@code local-cluster[N,1,MB]}, a fresh one per placement in a child JVM), with
 * the cost model's prediction for the same CPU cluster beside each measurement. Prints; never
 * asserts speed.
 */
@Command(
    name = "placements",
    mixinStandardHelpOptions = true,
    description =
        "Run one job under several placements on a local multi-executor Spark cluster and compare"
            + " with the cost model.")
final class BenchPlacementsCommand implements Callable<Integer> {
  private static final int[] CALIBRATION_TOKENS = {16, 32, 64, 128, 256, 512, 1024, 2048};

  @Spec CommandSpec spec;

  @Option(
      names = "--preset",
      defaultValue = "seed-4x16",
      description = "Model preset to generate (default: ${DEFAULT-VALUE}); ignored with --model.")
  String preset;

  @Option(names = "--model", description = "An existing model directory instead of a preset.")
  Path model;

  @Option(
      names = "--tokens",
      defaultValue = "16384",
      description = "Tokens in the measured run (default: ${DEFAULT-VALUE}).")
  long tokens;

  @Option(
      names = "--sample-tokens",
      description = "Tokens in the warm-up run (default: the smaller of --tokens and 4096).")
  Long sampleTokens;

  @Option(
      names = "--executors",
      defaultValue = "4",
      description = "Executor JVMs, one core each (default: ${DEFAULT-VALUE}).")
  int executors;

  @Option(
      names = "--executor-memory-mb",
      defaultValue = "2048",
      description = "Heap per executor in MB (default: ${DEFAULT-VALUE}).")
  int executorMemoryMb;

  @Option(
      names = "--partitions",
      description = "Token-owner partitions (default: one per executor).")
  Integer partitions;

  @Option(
      names = "--sequence-length",
      defaultValue = "128",
      description = "Tokens per row (default: ${DEFAULT-VALUE}).")
  int sequenceLength;

  @Option(
      names = "--placements",
      defaultValue = "one-per-gpu,shared-layers,colocate:4",
      split = ",",
      description = "Placements to run (default: ${DEFAULT-VALUE}).")
  List<String> placements;

  @Option(
      names = "--calibration",
      description = "Kernel calibration CSV to use instead of measuring the kernels here.")
  Path calibration;

  @Option(
      names = "--out",
      defaultValue = "work/bench-placements",
      description = "Folder for the model, logs, results and plots (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(
      names = "--from-results",
      description =
          "Compare the results and calibration an earlier run left in --out instead of running.")
  boolean fromResults;

  @Option(
      names = "--timeout-minutes",
      defaultValue = "30",
      description = "Longest a placement may run (default: ${DEFAULT-VALUE}).")
  long timeoutMinutes;

  @Override
  public Integer call() {
    checkOptions();
    PrintWriter stdout = spec.commandLine().getOut();
    Path modelDir = modelDirectory(stdout);
    ModelConfig config;
    try (MoeModel opened = MoeModel.open(modelDir)) {
      config = opened.config();
    }
    KernelCalibration kernels = kernels(config, stdout);
    List<PlacementResult> results =
        fromResults ? BenchRuns.read(out, placements) : run(modelDir, config, stdout);
    ModelShape shape = ModelShape.of(modelDir.getFileName().toString(), config, 4);
    PlacementComparison comparison =
        PlacementComparison.of(results, shape, new CostModel(kernels), sequenceLength, 4);
    report(comparison, stdout);
    return 0;
  }

  private List<PlacementResult> run(Path modelDir, ModelConfig config, PrintWriter stdout) {
    int owners = partitions == null ? executors : partitions;
    long sample = sampleTokens == null ? Math.min(tokens, 4096) : sampleTokens;
    BenchRuns runs =
        new BenchRuns(
            out, modelDir, executors, executorMemoryMb, owners, sequenceLength, timeoutMinutes);
    List<PlacementResult> results = new ArrayList<>();
    for (String placement : placements) {
      int slots = slotsFor(PlacementPolicy.parse(placement), config);
      stdout.printf(
          Locale.ROOT,
          "Running %s on %d slots over %d executors (load average %.2f)...%n",
          placement,
          slots,
          executors,
          BenchRuns.loadAverage());
      PlacementResult result = runs.run(placement, slots, tokens, sample);
      stdout.printf(
          Locale.ROOT,
          "  %s: %d tokens in %.1f s (%.0f tokens/s)%n",
          placement,
          result.report().tokens(),
          result.report().wallSeconds(),
          result.report().tokensPerSecond());
      results.add(result);
    }
    return results;
  }

  private void checkOptions() {
    if (tokens < sequenceLength) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid --tokens: %d (expected: at least --sequence-length %d)",
              tokens, sequenceLength));
    }
    if (executors < 1) {
      throw new IllegalArgumentException(
          "Invalid --executors: " + executors + " (expected: at least 1)");
    }
    placements.forEach(PlacementPolicy::parse);
  }

  private Path modelDirectory(PrintWriter stdout) {
    if (model != null) {
      return model.toAbsolutePath();
    }
    Path dir = out.resolve("model-" + preset).toAbsolutePath();
    if (!Files.exists(dir.resolve("config.json"))) {
      stdout.printf("Generating the %s model in %s...%n", preset, dir);
      new ModelGenerator(ModelSpec.Preset.parse(preset).spec()).writeTo(dir);
    }
    return dir;
  }

  private KernelCalibration kernels(ModelConfig config, PrintWriter stdout) {
    if (calibration != null) {
      return KernelCalibration.read(calibration);
    }
    if (fromResults) {
      return KernelCalibration.read(out.resolve("calibration.csv"));
    }
    stdout.printf(
        Locale.ROOT,
        "Measuring CPU kernels on one thread (load average %.2f)...%n",
        BenchRuns.loadAverage());
    KernelCalibration measured =
        KernelCalibration.of(
            CpuKernelMeasurement.measure(config, CALIBRATION_TOKENS, sequenceLength),
            "measured by bench placements on " + LocalDate.now());
    createDirectories(out);
    measured.write(out.resolve("calibration.csv"));
    return measured;
  }

  /** One-per-gpu gets a slot per expert, shared-layers a slot per executor. */
  private int slotsFor(PlacementPolicy policy, ModelConfig config) {
    ModelShape shape = ModelShape.of("model", config, 4);
    return policy.kind() == PlacementPolicy.Kind.SHARED_LAYERS
        ? executors
        : Planner.slotsFor(policy, shape, shape.layers() * shape.experts());
  }

  private void report(PlacementComparison comparison, PrintWriter stdout) {
    // Run from BenchCommand, the original arguments start with "placements"; run alone, they do
    // not.
    List<String> args = spec.commandLine().getParseResult().originalArgs();
    boolean fromBench = !args.isEmpty() && args.get(0).equals(spec.name());
    String command =
        (fromBench ? BenchCommand.NAME : BenchCommand.NAME + " " + spec.name())
            + " "
            + String.join(" ", args);
    String table = comparison.table();
    stdout.println();
    stdout.print(table);
    stdout.println();
    stdout.print(comparison.details());
    String verdict = verdict(comparison);
    stdout.println(verdict);
    String subtitle = executors + " executors, " + tokens + " tokens";
    List<Path> plots = PlacementPlots.write(comparison, out, subtitle);
    Path summary = out.resolve("summary.md");
    writeString(
        summary,
        String.format(
            Locale.ROOT,
            "`%s`, %s%n%n```%n%s```%n%n```%n%s```%n%n%s%n",
            command,
            LocalDate.now(),
            table,
            comparison.details(),
            verdict));
    stdout.printf("Plots: %s; summary: %s%n", plots, summary);
    stdout.flush();
  }

  static String verdict(PlacementComparison comparison) {
    return String.format(
        Locale.ROOT,
        "Ranking: measured %s, predicted %s (%s). Worst time error %.0f%% (target: within 30%%).",
        comparison.order(PlacementComparison.Entry::measuredSeconds),
        comparison.order(PlacementComparison.Entry::predictedSeconds),
        comparison.rankingMatches() ? "same order" : "different order",
        100 * comparison.worstError());
  }

  private static void createDirectories(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw IoErrors.cannot("create " + dir, e);
    }
  }

  private static void writeString(Path file, String text) {
    try {
      Files.writeString(file, text);
    } catch (IOException e) {
      throw IoErrors.cannot("write " + file, e);
    }
  }
}
