package dev.sparkmoe.benchmarks.cli;

import dev.sparkmoe.core.generate.ModelGenerator;
import dev.sparkmoe.core.generate.ModelSpec;
import dev.sparkmoe.core.generate.TokenGenerator;
import dev.sparkmoe.spark.SparkSessions;
import dev.sparkmoe.spark.pipeline.MoeInference;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench balance}: one generated model with a skewed router and one token table through the
 * pipeline in local Spark without load balancing, with hot-expert replicas (into spare slots, and
 * into the same slots) and with expert tensor parallelism; prints the sampled skew, the measured
 * balancedness (mean ÷ max tokens per slot) and tokens/s of each, and whether the outputs equal the
 * unbalanced run's bit for bit. It measures; it never fails on speed.
 */
@Command(
    name = "balance",
    mixinStandardHelpOptions = true,
    description =
        "Run a skewed-router model without load balancing, with hot-expert replicas and with"
            + " expert-tp 2; print balancedness, tokens/s and whether outputs are unchanged.")
final class BenchBalanceCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--layers",
      defaultValue = "4",
      description = "Layers (default: ${DEFAULT-VALUE}).")
  int layers;

  @Option(
      names = "--experts",
      defaultValue = "16",
      description = "Experts (default: ${DEFAULT-VALUE}).")
  int experts;

  @Option(
      names = "--hidden",
      defaultValue = "512",
      description = "Hidden (default: ${DEFAULT-VALUE}).")
  int hidden;

  @Option(
      names = "--ffn",
      defaultValue = "1408",
      description = "Expert FFN (default: ${DEFAULT-VALUE}).")
  int ffn;

  @Option(
      names = "--router-skew",
      defaultValue = "1.0",
      description = "Router bias towards expert 0 (default: ${DEFAULT-VALUE}).")
  float routerSkew;

  @Option(names = "--rows", defaultValue = "128", description = "Rows (default: ${DEFAULT-VALUE}).")
  int rows;

  @Option(
      names = "--max-len",
      defaultValue = "96",
      description = "Longest row (default: ${DEFAULT-VALUE}).")
  int maxLength;

  @Option(
      names = "--spare-slots",
      defaultValue = "4",
      description = "Slots beyond one per expert for the replicas (default: ${DEFAULT-VALUE}).")
  int spareSlots;

  @Option(
      names = "--sample-rows",
      defaultValue = "32",
      description = "Rows the driver samples for the routing load (default: ${DEFAULT-VALUE}).")
  int sampleRows;

  @Option(
      names = "--extra-replicas",
      defaultValue = "32",
      description =
          "Extra replicas per layer of the last replica configuration, on one slot per expert"
              + " (default: ${DEFAULT-VALUE}).")
  int extraReplicas;

  @Option(
      names = "--repeat",
      defaultValue = "3",
      description =
          "Timed runs per configuration; the fastest is shown (default: ${DEFAULT-VALUE}).")
  int repeat;

  @Option(
      names = "--partitions",
      defaultValue = "2",
      description = "Token-owner partitions (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(
      names = "--master",
      defaultValue = "local[2]",
      description = "Spark master (default: ${DEFAULT-VALUE}).")
  String master;

  @Option(
      names = "--work",
      defaultValue = "work/bench-balance",
      description = "Work directory for the generated model (default: ${DEFAULT-VALUE}).")
  Path work;

  @Override
  public Integer call() throws Exception {
    for (int value :
        new int[] {layers, experts, hidden, ffn, rows, maxLength, repeat, partitions}) {
      if (value < 1) {
        throw new IllegalArgumentException(
            String.format(
                "Invalid bench balance option: %d (expected: every size, --rows, --max-len,"
                    + " --repeat and --partitions >= 1)",
                value));
      }
    }
    ModelSpec model =
        ModelSpec.Preset.TINY.spec().toBuilder()
            .layers(layers)
            .experts(experts)
            .hidden(hidden)
            .ffn(ffn)
            .vocab(4096)
            .heads(8)
            .kvHeads(2)
            .routerSkew(routerSkew)
            .build();
    Path dir =
        work.resolve(
            String.format(
                Locale.ROOT,
                "model-%dx%d-h%d-f%d-skew%s",
                layers,
                experts,
                hidden,
                ffn,
                routerSkew));
    if (!Files.isRegularFile(dir.resolve("config.json"))) {
      new ModelGenerator(model).writeTo(dir);
    }
    PrintWriter out = spec.commandLine().getOut();
    try (SparkSessions.Handle handle = SparkSessions.open(master, "bench balance")) {
      Dataset<Row> input = table(handle.session(), model.vocab()).cache();
      input.count();
      MoeInference base =
          MoeInference.of(dir.toAbsolutePath().toString())
              .partitions(partitions)
              .sampleRows(sampleRows);
      List<BenchBalanceRow> results = new ArrayList<>();
      results.add(BenchBalanceRow.of("none", timed(base.slots(experts), input), null));
      float[][] reference = results.get(0).embeddings();
      results.add(
          BenchBalanceRow.of(
              "replicas auto, spare slots",
              timed(base.slots(experts + spareSlots).replicas("auto"), input),
              reference));
      results.add(
          BenchBalanceRow.of(
              "replicas auto, same slots",
              timed(base.slots(experts).replicas("auto"), input),
              reference));
      results.add(
          BenchBalanceRow.of(
              String.format(Locale.ROOT, "replicas %d, same slots", extraReplicas),
              timed(base.slots(experts).replicas(Integer.toString(extraReplicas)), input),
              reference));
      results.add(
          BenchBalanceRow.of(
              "expert-tp 2", timed(base.slots(2 * experts).expertTp(2), input), reference));
      out.print(BenchBalanceRow.table(describe(model), results));
      out.flush();
    }
    return 0;
  }

  /** A warm-up run (JIT, experts made resident), then the fastest of {@code repeat} timed ones. */
  private MoeInference.MoeRun timed(MoeInference inference, Dataset<Row> input) {
    inference.run(input).rows().count();
    MoeInference.MoeRun best = null;
    for (int i = 0; i < repeat; i++) {
      MoeInference.MoeRun run = inference.run(input);
      if (best == null || run.report().tokensPerSecond() > best.report().tokensPerSecond()) {
        best = run;
      }
    }
    return best;
  }

  private Dataset<Row> table(SparkSession spark, int vocab) {
    TokenGenerator generator = new TokenGenerator(7, maxLength / 2, maxLength, vocab);
    List<Row> data = new ArrayList<>();
    for (long id = 0; id < rows; id++) {
      data.add(RowFactory.create(id, generator.tokens(id)));
    }
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType, false)
            .add("tokens", DataTypes.createArrayType(DataTypes.IntegerType, false), false);
    return spark.createDataFrame(data, schema);
  }

  private String describe(ModelSpec s) {
    return String.format(
        Locale.ROOT,
        "%d layers x %d experts, top-%d, hidden %d, ffn %d, router skew %s; %d rows, %s,"
            + " %d owner partitions, best of %d",
        s.layers(),
        s.experts(),
        s.topK(),
        s.hidden(),
        s.ffn(),
        s.routerSkew(),
        rows,
        master,
        partitions,
        repeat);
  }
}
