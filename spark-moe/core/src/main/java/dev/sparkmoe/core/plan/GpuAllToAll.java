package dev.sparkmoe.core.plan;

/**
 * A GPU-initiated all-to-all priced from DeepEP's published low-latency kernels (H800, RDMA, 128
 * tokens per rank, hidden 7168, top-8, FP8 dispatch and BF16 combine): EP16 dispatch {@value
 * #EP16_DISPATCH_US} µs and combine {@value #EP16_COMBINE_US} µs, EP64 {@value #EP64_DISPATCH_US}
 * µs and {@value #EP64_COMBINE_US} µs.
 *
 * <p>Between 16 and 64 ranks the times are interpolated linearly in log2 of the ranks; outside, the
 * nearest figure holds (fewer than 16 ranks, often all in one node, would be faster: conservative).
 * They scale linearly with tokens per rank and hidden size, from 128 and 7168; there is no floor
 * below the published size, and top-k and dtypes are as published (a top-2 model moves a quarter of
 * top-8's bytes, so the published top-8 time is conservative for it). Stateless.
 */
public record GpuAllToAll() implements Transport {
  public static final double EP16_DISPATCH_US = 118;
  public static final double EP16_COMBINE_US = 195;
  public static final double EP64_DISPATCH_US = 173;
  public static final double EP64_COMBINE_US = 314;

  /** Tokens per rank of the published figures. */
  public static final double PUBLISHED_TOKENS_PER_RANK = 128;

  /** Hidden size of the published figures (DeepSeek-V3). */
  public static final int PUBLISHED_HIDDEN = 7168;

  @Override
  public String name() {
    return "gpu-all-to-all";
  }

  @Override
  public String description() {
    return "GPU-initiated all-to-all, DeepEP low-latency kernels (published: EP16 118/195 µs,"
        + " EP64 173/314 µs at 128 tokens/rank, hidden 7168), scaled by tokens and hidden";
  }

  @Override
  public double dispatchSeconds(Exchange exchange) {
    return seconds(exchange, EP16_DISPATCH_US, EP64_DISPATCH_US);
  }

  @Override
  public double combineSeconds(Exchange exchange) {
    return seconds(exchange, EP16_COMBINE_US, EP64_COMBINE_US);
  }

  /** The published time at {@code ranks}, in seconds, before scaling by tokens and hidden. */
  static double publishedSeconds(int ranks, double ep16Us, double ep64Us) {
    double t = (log2(Math.min(64, Math.max(16, ranks))) - 4) / 2; // 0 at EP16, 1 at EP64
    return (ep16Us + t * (ep64Us - ep16Us)) * 1e-6;
  }

  private static double seconds(Exchange exchange, double ep16Us, double ep64Us) {
    if (exchange.bytes() <= 0 || exchange.tokensPerRank() <= 0) {
      return 0;
    }
    double scale =
        exchange.tokensPerRank() / PUBLISHED_TOKENS_PER_RANK * exchange.hidden() / PUBLISHED_HIDDEN;
    return publishedSeconds(exchange.ranks(), ep16Us, ep64Us) * scale;
  }

  private static double log2(int value) {
    return Math.log(value) / Math.log(2);
  }
}
