package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.config.MoeOptions;
import java.util.Locale;

/**
 * What the pipeline does with a row it cannot process ({@link MoeOptions#ON_ROW_ERROR}): today a
 * row whose tokens the model cannot take (an id outside the vocabulary, or more tokens than {@code
 * max_position_embeddings}).
 */
public enum InvalidTokenPolicy {
  /** Fail the job with a message naming the row, the position and the value. */
  FAIL,
  /** Leave the row out of the output and count it in the run report. */
  SKIP;

  /** Parses {@code fail} or {@code skip}, as {@link MoeOptions#ON_ROW_ERROR} allows. */
  public static InvalidTokenPolicy parse(String name) {
    return valueOf(MoeOptions.ON_ROW_ERROR.parse(name).toUpperCase(Locale.ROOT));
  }
}
