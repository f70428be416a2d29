package dev.sparkmoe.core.exchange;

/**
 * One encoded combine batch on its way back to its owner partition.
 *
 * @param arrowIpc an Arrow IPC stream of a {@link dev.sparkmoe.core.batch.CombineBatch}
 */
@SuppressWarnings("ArrayRecordComponent") // owned by the exchange that carries it
public record ReturnBatch(int partition, byte[] arrowIpc) {}
