/**
 * The exchange seam of the expert-parallel pipeline, engine-agnostic: how one layer's tokens travel
 * from their owners to the expert slots and back ({@link dev.sparkmoe.core.exchange.Exchange}), and
 * the two endpoints every exchange shares. {@link dev.sparkmoe.core.exchange.OwnerSide} embeds rows
 * in their canonical order, routes them and encodes one dispatch batch per slot, and decodes and
 * combines what comes back; {@link dev.sparkmoe.core.exchange.ExpertSide} streams a slot's dispatch
 * batches through decode, capacity drops, compute and encode. Both count what they did ({@link
 * dev.sparkmoe.core.exchange.OwnerStats}, {@link dev.sparkmoe.core.exchange.ExpertStats}). An
 * engine only carries the encoded bytes: the Spark module's two shuffles, the in-process {@link
 * dev.sparkmoe.core.exchange.InProcessExchange}, or expert servers over sockets.
 */
package dev.sparkmoe.core.exchange;
