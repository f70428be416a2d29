package dev.sparkmoe.core.generate;

/**
 * What one generator call did, for the report. Owns its arrays.
 *
 * @param outputTokens new tokens over all rows
 * @param nanos from the call's start to its last token
 * @param peakKvCacheBytes the most KV-cache memory its rows held at once
 * @param batchSizes rows in each forward step, in order (the first step is all prefill)
 * @param ttftMillis each row's time to first token
 * @param tpotMillis each row's time per output token after the first (rows with two or more)
 */
@SuppressWarnings("ArrayRecordComponent") // report values, built once
public record GenerationStats(
    long outputTokens,
    long nanos,
    long peakKvCacheBytes,
    int[] batchSizes,
    float[] ttftMillis,
    float[] tpotMillis)
    implements java.io.Serializable {
  private static final long serialVersionUID = 1L;
}
