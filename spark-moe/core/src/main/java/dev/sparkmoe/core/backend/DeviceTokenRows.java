package dev.sparkmoe.core.backend;

/**
 * Token rows that already live in GPU memory, in the Arrow/cudf {@code list<int32>} layout: an
 * int32 offsets buffer of {@code rows() + 1} entries and an int32 values buffer, both device
 * addresses in the primary context of GPU {@link #deviceOrdinal()}. A GPU backend reads them in
 * place instead of copying them through the host; the CPU backends do not take this input.
 *
 * <p>Ownership: borrowed. The producer (e.g. the RAPIDS adapter over a cudf column) keeps the
 * memory alive until the consumer's work on {@link #stream()} is done; the consumer never frees it.
 * Work that produced the buffers must be ordered before the consumer's work on {@link #stream()}
 * (the same stream, or synchronized). Not thread-safe.
 */
public interface DeviceTokenRows {
  /** The number of rows. */
  int rows();

  /** Device address of the int32 offsets, {@code rows() + 1} of them. */
  long offsetsAddress();

  /** Device address of the int32 token ids the offsets index (element 0 of the values buffer). */
  long valuesAddress();

  /** The number of int32 ids in the values buffer: every offset must lie in {@code [0, count]}. */
  long valueCount();

  /** A host copy of the offsets and null flags, validated: {@code rows() + 1} entries, small. */
  TokenOffsets offsets();

  /** The stream whose order the consumer's reads must follow. */
  DeviceStream stream();

  /** The CUDA device ordinal, as this process sees it, whose memory holds the buffers. */
  int deviceOrdinal();

  /** Which default stream of the producer's thread orders its work. */
  enum DeviceStream {
    /** CUDA's per-thread default stream ({@code cudaStreamPerThread}): cudf's, built with PTDS. */
    PER_THREAD_DEFAULT,
    /** The legacy default stream (stream 0), which synchronizes with every blocking stream. */
    LEGACY_DEFAULT
  }
}
