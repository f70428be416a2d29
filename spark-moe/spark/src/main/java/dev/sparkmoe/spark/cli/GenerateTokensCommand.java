package dev.sparkmoe.spark.cli;

import dev.sparkmoe.core.generate.TokenGenerator;
import dev.sparkmoe.spark.SparkSessions;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code moe generate-tokens}: a deterministic tokenized table, generated in parallel by Spark. */
@Command(
    name = "generate-tokens",
    mixinStandardHelpOptions = true,
    description = "Write a synthetic tokenized table: id (bigint), tokens (array<int>).")
final class GenerateTokensCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--rows", required = true, description = "Number of rows.")
  long rows;

  @Option(
      names = "--min-len",
      defaultValue = "8",
      description = "Shortest row (default: ${DEFAULT-VALUE}).")
  int minLength;

  @Option(
      names = "--max-len",
      defaultValue = "64",
      description = "Longest row (default: ${DEFAULT-VALUE}).")
  int maxLength;

  @Option(names = "--vocab", required = true, description = "Token ids are in [0, vocab).")
  int vocab;

  @Option(
      names = "--seed",
      defaultValue = "7",
      description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--out", required = true, description = "Output path.")
  String out;

  @Option(
      names = "--format",
      defaultValue = "parquet",
      description = "parquet or json (default: ${DEFAULT-VALUE}).")
  String format;

  @Option(
      names = "--partitions",
      defaultValue = "2",
      description = "Output files (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(
      names = "--master",
      defaultValue = "local[2]",
      description = "Spark master when no session is active (default: ${DEFAULT-VALUE}).")
  String master;

  @Override
  public Integer call() {
    TableFormat tableFormat = TableFormat.parse(format);
    TokenGenerator generator = new TokenGenerator(seed, minLength, maxLength, vocab);
    if (rows < 0) {
      throw new IllegalArgumentException(
          String.format("Invalid rows: %d (expected: a non-negative number)", rows));
    }
    try (SparkSessions.Handle handle = SparkSessions.open(master, "moe generate-tokens")) {
      StructType schema =
          new StructType()
              .add("id", DataTypes.LongType, false)
              .add("tokens", DataTypes.createArrayType(DataTypes.IntegerType, false), false);
      Dataset<Row> table =
          handle
              .session()
              .range(0, rows, 1, partitions)
              .map(
                  (MapFunction<Long, Row>) id -> RowFactory.create(id, generator.tokens(id)),
                  Encoders.row(schema));
      tableFormat.write(table, out);
    }
    spec.commandLine()
        .getOut()
        .printf("Wrote %d rows to %s (%s)%n", rows, out, tableFormat.sparkName());
    return 0;
  }
}
