package dev.sparkmoe.core.plan;

/**
 * The predicted time of one layer for one batch, by phase. On a GPU cluster the dispatch, expert
 * and combine phases overlap (double buffering), so {@code totalSeconds} is less than their sum; on
 * a Spark cluster they run as stages one after the other and {@code overheadSeconds} holds the
 * stage and task costs.
 *
 * @param ownerSeconds token owners: attention, router, packing (slowest owner)
 * @param dispatchSeconds tokens to their expert shards (slowest device)
 * @param expertSeconds expert FFNs (slowest device), kernel launches included
 * @param launchSeconds the part of {@code expertSeconds} that is fixed per-call cost
 * @param combineSeconds outputs back to the owners (slowest device)
 * @param handoffSeconds the residual stream to the next layer's owners, when they differ
 * @param overheadSeconds Spark stage and task costs (0 on a GPU cluster)
 * @param totalSeconds the layer's time with overlap applied
 */
public record LayerCost(
    int layer,
    double ownerSeconds,
    double dispatchSeconds,
    double expertSeconds,
    double launchSeconds,
    double combineSeconds,
    double handoffSeconds,
    double overheadSeconds,
    double totalSeconds) {}
