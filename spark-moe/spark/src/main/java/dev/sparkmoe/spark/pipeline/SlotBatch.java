package dev.sparkmoe.spark.pipeline;

import java.io.Serializable;

/**
 * A shuffle record of the pipeline: one Arrow IPC stream holding a dispatch batch (owner → slot) or
 * a combine batch (slot → owner). The bytes are the documented Arrow schema of {@code
 * dev.sparkmoe.core.batch}; this wrapper only adds what the shuffle needs to route it. Registered
 * with Kryo.
 */
final class SlotBatch implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int layer;
  private final int sourcePartition;
  private final byte[] arrowIpc;

  SlotBatch(int layer, int sourcePartition, byte[] arrowIpc) {
    this.layer = layer;
    this.sourcePartition = sourcePartition;
    this.arrowIpc = arrowIpc;
  }

  int layer() {
    return layer;
  }

  int sourcePartition() {
    return sourcePartition;
  }

  byte[] arrowIpc() {
    return arrowIpc;
  }

  long sizeBytes() {
    return arrowIpc.length;
  }
}
