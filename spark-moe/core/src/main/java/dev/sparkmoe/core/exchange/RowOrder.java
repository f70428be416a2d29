package dev.sparkmoe.core.exchange;

import java.util.Arrays;
import java.util.List;

/**
 * Rows in an order that depends only on their content. An engine may deliver a partition's rows in
 * another order each time (a shuffle delivers them in fetch order, which differs between a task and
 * its recomputation after a failure), and the row keys that travel to the experts must name the
 * same rows in both.
 */
final class RowOrder {
  private RowOrder() {}

  /**
   * Indices of the rows by id, then by tokens.
   *
   * @param ids mutually comparable ids (long, int or string)
   */
  @SuppressWarnings("unchecked")
  static Integer[] canonical(List<Object> ids, List<int[]> tokens) {
    Integer[] order = new Integer[ids.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(
        order,
        (a, b) -> {
          int byId = ((Comparable<Object>) ids.get(a)).compareTo(ids.get(b));
          return byId != 0 ? byId : Arrays.compare(tokens.get(a), tokens.get(b));
        });
    return order;
  }
}
