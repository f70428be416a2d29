package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.model.ModelConfig;
import dev.sparkmoe.spark.infer.RowTokens;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Row;

/**
 * A token-owner partition's input rows (id, tokens), read and checked: a row without tokens keeps
 * an empty array, an invalid row fails the task or is skipped as the manifest says.
 *
 * @param skipped rows left out because their tokens were invalid
 */
record InputRows(List<Object> ids, List<int[]> tokens, long skipped) {
  static InputRows read(PipelineManifest manifest, ModelConfig config, Iterator<Row> rows) {
    List<Object> ids = new ArrayList<>();
    List<int[]> tokens = new ArrayList<>();
    long skipped = 0;
    while (rows.hasNext()) {
      Row row = rows.next();
      int[] rowTokens;
      try {
        rowTokens = RowTokens.read(row, 1, config);
      } catch (IllegalArgumentException e) {
        if (manifest.invalidTokens() == InvalidTokenPolicy.FAIL) {
          throw e;
        }
        skipped++;
        continue;
      }
      ids.add(row.get(0));
      tokens.add(rowTokens == null ? new int[0] : rowTokens);
    }
    return new InputRows(ids, tokens, skipped);
  }
}
