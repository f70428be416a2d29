package dev.sparkmoe.spark.pipeline;

import java.io.Serializable;

/**
 * One JVM's {@link HeapWatermark}s, in bytes, as the pipeline's tasks send them with their
 * statistics: no job of its own asks the executors.
 */
record HeapMarks(long peakBytes, long livePeakBytes, long maxBytes) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** This JVM's marks now. */
  static HeapMarks now() {
    return new HeapMarks(
        HeapWatermark.peakBytes(), HeapWatermark.livePeakBytes(), HeapWatermark.maxBytes());
  }

  /** The larger of each mark. */
  HeapMarks max(HeapMarks other) {
    return new HeapMarks(
        Math.max(peakBytes, other.peakBytes),
        Math.max(livePeakBytes, other.livePeakBytes),
        Math.max(maxBytes, other.maxBytes));
  }
}
