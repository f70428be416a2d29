package dev.sparkmoe.core.oracle;

/**
 * What Hugging Face {@code transformers} computes for one row of token ids, run alone (batch 1, no
 * padding) in fp32 with eager attention.
 *
 * <p>The arrays are not copied: the caller owns them and must not modify them if it shares the row.
 *
 * @param numTokens tokens in the row
 * @param embedding mean over positions of the final-normalized hidden state, length hidden_size
 * @param nextToken argmax of the logits at the last position
 * @param logprob natural-log probability of {@code nextToken} at the last position (float64 from
 *     fp32 logits)
 * @param score sum over t &gt;= 1 of log p(token_t | tokens before t); 0.0 for a single token
 * @param hidden final-normalized hidden state per position, [numTokens][hidden_size]; {@code null}
 *     unless requested with {@link HuggingFaceOracle#runWithHidden}
 */
@SuppressWarnings("ArrayRecordComponent") // A test-side value read field by field, never compared.
public record OracleRow(
    int numTokens,
    float[] embedding,
    int nextToken,
    double logprob,
    double score,
    float[][] hidden) {}
