package dev.sparkmoe.spark.pipeline;

import static org.apache.spark.sql.functions.col;

import java.util.Optional;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * The input rows cut into waves of at most {@code waveRows} rows, each spread over the token-owner
 * partitions. Row r of the input (in partition order, then row order) belongs to wave {@code r /
 * waveRows}. With several waves the numbered input — ids and token arrays only, about a thousandth
 * of the activations a wave holds — is persisted once, so every wave reads the same rows and the
 * source is scanned once; nothing is collected to the driver.
 *
 * <p>Driver side; not thread-safe. {@link #release()} unpersists what it persisted.
 */
final class WaveInput {
  static final String WAVE_COLUMN = "__spark_moe_wave";

  private final Dataset<Row> rows;
  private final int partitions;
  private final long waveRows;
  private final int waves;

  private WaveInput(Dataset<Row> rows, int partitions, long waveRows, int waves) {
    this.rows = rows;
    this.partitions = partitions;
    this.waveRows = waveRows;
    this.waves = waves;
  }

  /**
   * Waves of {@code selected} (id and tokens columns), each over {@code partitions} owner
   * partitions; one wave when {@code waveRows} is empty. Runs a Spark job to number and count the
   * rows when there may be several waves.
   */
  static WaveInput of(Dataset<Row> selected, Optional<Long> waveRows, int partitions) {
    if (waveRows.isEmpty()) {
      return new WaveInput(selected, partitions, 0, 1);
    }
    long perWave = waveRows.get();
    StructType schema = selected.schema().add(WAVE_COLUMN, DataTypes.LongType, false);
    JavaRDD<Row> numbered =
        selected
            .javaRDD()
            .zipWithIndex()
            .map(row -> RowFactory.create(row._1().get(0), row._1().get(1), row._2() / perWave));
    Dataset<Row> table = selected.sparkSession().createDataFrame(numbered, schema);
    table.persist(StorageLevel.MEMORY_AND_DISK());
    long count = table.count();
    int waves = (int) Math.max(1, (count + perWave - 1) / perWave);
    return new WaveInput(table, partitions, perWave, waves);
  }

  int count() {
    return waves;
  }

  /** The most rows per wave; 0: one wave of every row. */
  long waveRows() {
    return waveRows;
  }

  /** The rows of wave {@code wave}, over the owner partitions. */
  JavaRDD<Row> wave(int wave) {
    if (waveRows == 0) {
      // Repartition as a DataFrame: Spark shuffles its own binary rows, not Row objects.
      boolean same = partitions == rows.rdd().getNumPartitions();
      return (same ? rows : rows.repartition(partitions)).javaRDD();
    }
    return rows.filter(col(WAVE_COLUMN).equalTo(wave))
        .drop(WAVE_COLUMN)
        .repartition(partitions)
        .javaRDD();
  }

  void release() {
    if (waveRows > 0) {
      rows.unpersist(false);
    }
  }
}
