package dev.sparkmoe.core.service;

import java.io.Serializable;
import java.util.List;

/**
 * What one expert server did, per layer, since it started.
 *
 * @param slot the server's expert slot
 * @param layers one entry per layer it served, by layer
 */
public record ServerStats(int slot, List<Layer> layers) implements Serializable {
  private static final long serialVersionUID = 1L;

  public ServerStats {
    layers = List.copyOf(layers);
  }

  /**
   * One layer's counts.
   *
   * @param requests requests answered (a resent request counts again)
   * @param tokens token entries computed
   * @param computations gathered expert computations: requests / computations is the gather
   * @param busyNanos time computing (experts and encoding the answers)
   * @param waitNanos time the compute thread waited for a request
   * @param maxQueueDepth decoded requests waiting at most, seen as the compute thread took one
   */
  public record Layer(
      int layer,
      long requests,
      long tokens,
      long computations,
      long busyNanos,
      long waitNanos,
      int maxQueueDepth)
      implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Busy time over busy and waiting time; 0 when it did nothing. */
    public double busyFraction() {
      long total = busyNanos + waitNanos;
      return total == 0 ? 0 : (double) busyNanos / total;
    }
  }

  /** Requests answered over all layers. */
  public long requests() {
    return layers.stream().mapToLong(Layer::requests).sum();
  }

  /** Token entries computed over all layers. */
  public long tokens() {
    return layers.stream().mapToLong(Layer::tokens).sum();
  }
}
