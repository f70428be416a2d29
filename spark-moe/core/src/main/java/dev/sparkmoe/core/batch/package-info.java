/**
 * Token batches: the routed tokens a token-owner partition sends to an expert slot ({@link
 * dev.sparkmoe.core.batch.DispatchBatch}) and the weighted expert outputs that come back ({@link
 * dev.sparkmoe.core.batch.CombineBatch}), as plain Java values for compute, and their Arrow IPC
 * form for the shuffle ({@link dev.sparkmoe.core.batch.TokenBatchCodec}, which documents the
 * schema).
 */
package dev.sparkmoe.core.batch;
