package dev.sparkmoe.core.generate;

import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.nn.KvCache;
import java.util.List;

/**
 * The decoder loop over the new tokens of rows whose earlier positions their KV caches hold, as the
 * generator sees it: the experts in this task ({@code InTaskSide}), or behind an exchange.
 */
@FunctionalInterface
public interface CachedForward {
  /**
   * @param rows each row's new tokens: a whole prompt on an empty cache, or its last token
   * @param caches one per row; the new keys and values are appended
   * @return the final-normalized hidden states of the new tokens
   */
  FinalHidden run(List<int[]> rows, KvCache[] caches);
}
