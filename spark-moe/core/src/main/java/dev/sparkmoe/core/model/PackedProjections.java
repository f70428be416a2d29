package dev.sparkmoe.core.model;

/**
 * One layer's attention projections held packed ({@link PackedMatrix}), in place of the f32 arrays
 * of {@link AttentionWeights}: what bf16 compute holds, with no f32 copy. Owns the four matrices.
 *
 * @param query [numHeads * headDim, hidden]
 * @param key [numKvHeads * headDim, hidden]
 * @param value [numKvHeads * headDim, hidden]
 * @param output [hidden, numHeads * headDim]
 */
public record PackedProjections(
    PackedMatrix query, PackedMatrix key, PackedMatrix value, PackedMatrix output)
    implements AutoCloseable {

  /** Bytes the four matrices hold outside the Java heap. */
  public long sizeBytes() {
    return query.sizeBytes() + key.sizeBytes() + value.sizeBytes() + output.sizeBytes();
  }

  @Override
  public void close() {
    query.close();
    key.close();
    value.close();
    output.close();
  }
}
