package dev.sparkmoe.core.plan;

/**
 * How a GPU cluster's dispatch and combine bytes travel between devices; the cost model prices each
 * direction of a layer's exchange for its slowest device. A Spark CPU cluster ignores it: its
 * exchanges are shuffles, priced by {@link SparkCosts}.
 *
 * <ul>
 *   <li>{@link Links}: the cluster's own links (NVLink inside a node, InfiniBand between nodes) at
 *       their bandwidth and latency, as NCCL moves them.
 *   <li>{@link HostTcp}: host-staged TCP, what a JVM expert service does today: every byte that
 *       leaves a device crosses one TCP connection, at a measured round trip and bandwidth.
 *   <li>{@link GpuAllToAll}: a GPU-initiated all-to-all priced from DeepEP's published low-latency
 *       kernel times.
 * </ul>
 */
public sealed interface Transport permits Transport.Links, HostTcp, GpuAllToAll {
  /** The transport's name in {@code moe plan} ({@code links}, {@code host-tcp}, …). */
  String name();

  /** What it is and where its figures come from, one line. */
  String description();

  /** Time of a layer's dispatch for its slowest device. */
  double dispatchSeconds(Exchange exchange);

  /** Time of a layer's combine for its slowest device. */
  double combineSeconds(Exchange exchange);

  /**
   * One direction of one layer's exchange, as the cost model sees it.
   *
   * @param linkSeconds the slowest device's time over the cluster's links (NVLink and InfiniBand at
   *     the same time)
   * @param bytes the most bytes one device sends or receives off-device, all link classes together
   * @param tokensPerRank the most tokens one owner device holds in the layer
   * @param ranks devices taking part in the layer's exchange
   * @param hidden hidden size
   */
  record Exchange(double linkSeconds, double bytes, double tokensPerRank, int ranks, int hidden) {}

  /** The cluster's links, as NCCL would use them; what the cost model assumed before transports. */
  static Transport links() {
    return Links.INSTANCE;
  }

  /** The cluster's links at their {@link LinkSpec} bandwidth and latency; see {@link Transport}. */
  record Links() implements Transport {
    static final Links INSTANCE = new Links();

    @Override
    public String name() {
      return "links";
    }

    @Override
    public String description() {
      return "the cluster's links (NVLink, InfiniBand), NCCL-style";
    }

    @Override
    public double dispatchSeconds(Exchange exchange) {
      return exchange.linkSeconds();
    }

    @Override
    public double combineSeconds(Exchange exchange) {
      return exchange.linkSeconds();
    }
  }
}
