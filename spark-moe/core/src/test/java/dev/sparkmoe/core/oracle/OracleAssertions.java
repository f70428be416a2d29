package dev.sparkmoe.core.oracle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.forward.OutputHead;
import java.util.List;
import org.assertj.core.data.Offset;

/**
 * The parity checks against {@code transformers}: 1e-4 relative for embeddings (by norm),
 * log-probabilities and scores (absolute below magnitude 1), the same next token and token count.
 */
public final class OracleAssertions {
  /** The parity tolerance, relative. */
  public static final double TOLERANCE = 1e-4;

  private OracleAssertions() {}

  /** Checks every output of every row computed by {@code head} from {@code states}. */
  public static void assertMatches(
      String label, OutputHead head, FinalHidden states, List<int[]> rows, List<OracleRow> oracle) {
    assertThat(states.numRows()).as("rows: %s", label).isEqualTo(oracle.size());
    for (int r = 0; r < rows.size(); r++) {
      String row = label + ", row " + r + " (" + rows.get(r).length + " tokens)";
      OracleRow expected = oracle.get(r);
      assertEmbedding(row, head.embedding(states, r), expected);
      OutputHead.NextToken next = head.nextToken(states, r);
      assertNextToken(row, next.token(), next.logprob(), expected);
      OutputHead.Score score = head.score(states, r, rows.get(r));
      assertScore(row, score.logLikelihood(), score.numTokens(), expected);
    }
  }

  public static void assertEmbedding(String row, float[] embedding, OracleRow expected) {
    assertThat(embedding).as("embedding: %s", row).hasSameSizeAs(expected.embedding());
    assertThat(relativeError(embedding, expected.embedding()))
        .as("embedding vs transformers: %s", row)
        .isLessThan(TOLERANCE);
  }

  public static void assertNextToken(String row, int token, double logprob, OracleRow expected) {
    assertThat(token).as("next token vs transformers: %s", row).isEqualTo(expected.nextToken());
    assertThat(logprob)
        .as("next-token logprob vs transformers: %s", row)
        .isCloseTo(expected.logprob(), within(expected.logprob()));
  }

  public static void assertScore(String row, double score, int numTokens, OracleRow expected) {
    assertThat(score)
        .as("score vs transformers: %s", row)
        .isCloseTo(expected.score(), within(expected.score()));
    assertThat(numTokens).as("num_tokens: %s", row).isEqualTo(expected.numTokens());
  }

  /** ‖actual − expected‖ / ‖expected‖. */
  public static double relativeError(float[] actual, float[] expected) {
    double diff = 0;
    double norm = 0;
    for (int i = 0; i < expected.length; i++) {
      diff += Math.pow((double) actual[i] - expected[i], 2);
      norm += Math.pow(expected[i], 2);
    }
    return Math.sqrt(diff / norm);
  }

  private static Offset<Double> within(double expected) {
    return Offset.offset(TOLERANCE * Math.max(1.0, Math.abs(expected)));
  }
}
