package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.config.MoeOptions;
import java.util.Locale;

/**
 * What the pipeline does with a row whose tokens the model cannot take (an id outside the
 * vocabulary, or more tokens than {@code max_position_embeddings}).
 */
public enum InvalidTokenPolicy {
  /** Fail the job with a message naming the row, the position and the value. */
  FAIL,
  /** Leave the row out of the output and count it in the run report. */
  SKIP;

  /** Parses {@code fail} or {@code skip}, as {@link MoeOptions#ON_INVALID_TOKEN} allows. */
  public static InvalidTokenPolicy parse(String name) {
    return valueOf(MoeOptions.ON_INVALID_TOKEN.parse(name).toUpperCase(Locale.ROOT));
  }
}
