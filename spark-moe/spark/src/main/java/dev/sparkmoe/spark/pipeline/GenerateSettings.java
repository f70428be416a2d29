package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.config.MoeOption;
import dev.sparkmoe.core.config.MoeOptions;
import dev.sparkmoe.core.generate.SamplingParams;
import dev.sparkmoe.spark.config.SessionOptions;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import scala.collection.Seq;

/**
 * The settings of {@code --kind generate}: the sampling parameters of the run, the KV-cache budget
 * of a task, and the input columns that override a parameter per row. A column named as an option
 * with underscores ({@code max_new_tokens}, {@code min_new_tokens}, {@code temperature}, {@code
 * top_k}, {@code top_p}, {@code min_p}, {@code seed}, {@code stop_token_ids}, {@code ignore_eos})
 * sets that parameter for its row; a null cell keeps the run's value.
 *
 * @param sampling the run's parameters
 * @param kvCacheMemoryBytes a task's KV-cache budget
 * @param rowColumns the per-row columns present in the input, read after the id and tokens
 */
public record GenerateSettings(
    SamplingParams sampling, long kvCacheMemoryBytes, List<String> rowColumns)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The options a column may set per row. */
  static final List<MoeOption<?>> ROW_OPTIONS =
      List.of(
          MoeOptions.MAX_NEW_TOKENS,
          MoeOptions.MIN_NEW_TOKENS,
          MoeOptions.TEMPERATURE,
          MoeOptions.TOP_K,
          MoeOptions.TOP_P,
          MoeOptions.MIN_P,
          MoeOptions.SEED,
          MoeOptions.STOP_TOKEN_IDS,
          MoeOptions.IGNORE_EOS);

  static String columnName(MoeOption<?> option) {
    return option.key().replace('-', '_');
  }

  /** The run's settings; per-row columns are those of {@code schema} named as above. */
  /** The options {@code moe_generate} takes: the sampling parameters and the KV-cache budget. */
  public static final List<MoeOption<?>> CALL_OPTIONS =
      java.util.stream.Stream.concat(
              ROW_OPTIONS.stream(), java.util.stream.Stream.of(MoeOptions.KV_CACHE_MEMORY))
          .toList();

  public static GenerateSettings resolve(SessionOptions settings, StructType schema) {
    SamplingParams sampling =
        new SamplingParams(
            settings.value(MoeOptions.MAX_NEW_TOKENS),
            settings.value(MoeOptions.MIN_NEW_TOKENS),
            settings.value(MoeOptions.TEMPERATURE),
            settings.value(MoeOptions.TOP_K),
            settings.value(MoeOptions.TOP_P),
            settings.value(MoeOptions.MIN_P),
            settings.value(MoeOptions.SEED),
            settings.value(MoeOptions.STOP_TOKEN_IDS),
            settings.value(MoeOptions.IGNORE_EOS));
    List<String> columns = new ArrayList<>();
    List<String> present = Arrays.asList(schema.fieldNames());
    for (MoeOption<?> option : ROW_OPTIONS) {
      if (present.contains(columnName(option))) {
        columns.add(columnName(option));
      }
    }
    return new GenerateSettings(
        sampling, settings.value(MoeOptions.KV_CACHE_MEMORY), List.copyOf(columns));
  }

  /**
   * The parameters of {@code row}, whose per-row columns follow its id and tokens.
   *
   * @throws IllegalArgumentException naming the row and the column of a value that does not parse
   */
  SamplingParams forRow(Row row) {
    SamplingParams p = sampling;
    for (int c = 0; c < rowColumns.size(); c++) {
      Object cell = row.get(2 + c);
      if (cell == null) {
        continue;
      }
      String column = rowColumns.get(c);
      try {
        p = with(p, column, text(cell));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            String.format("Invalid %s in row %s: %s", column, row.get(0), e.getMessage()), e);
      }
    }
    return p;
  }

  private static String text(Object cell) {
    if (cell instanceof Seq<?> seq) {
      return seq.mkString(",");
    }
    if (cell instanceof List<?> list) {
      return String.join(",", list.stream().map(String::valueOf).toList());
    }
    return String.valueOf(cell);
  }

  private static SamplingParams with(SamplingParams p, String column, String value) {
    MoeOption<?> option =
        ROW_OPTIONS.stream().filter(o -> columnName(o).equals(column)).findFirst().orElseThrow();
    Object v = option.parse(value);
    return new SamplingParams(
        option == MoeOptions.MAX_NEW_TOKENS ? (Integer) v : p.maxNewTokens(),
        option == MoeOptions.MIN_NEW_TOKENS ? (Integer) v : p.minNewTokens(),
        option == MoeOptions.TEMPERATURE ? (Double) v : p.temperature(),
        option == MoeOptions.TOP_K ? (Integer) v : p.topK(),
        option == MoeOptions.TOP_P ? (Double) v : p.topP(),
        option == MoeOptions.MIN_P ? (Double) v : p.minP(),
        option == MoeOptions.SEED ? (Long) v : p.seed(),
        option == MoeOptions.STOP_TOKEN_IDS ? (int[]) v : p.stopTokenIds(),
        option == MoeOptions.IGNORE_EOS ? (Boolean) v : p.ignoreEos());
  }
}
