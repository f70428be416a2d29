/**
 * The expert service (DESIGN.md section 11): expert slots resident in long-running servers ({@link
 * dev.sparkmoe.core.service.ExpertServer}), token owners that send each layer's dispatch batches
 * over plain sockets ({@link dev.sparkmoe.core.service.ServiceExchange}) and keep several
 * micro-batches in flight ({@link dev.sparkmoe.core.service.MicroBatchForward}). Engine-agnostic:
 * the Spark module launches the servers in a barrier stage and implements {@link
 * dev.sparkmoe.core.service.ServerAddresses} with a driver registry.
 */
package dev.sparkmoe.core.service;
