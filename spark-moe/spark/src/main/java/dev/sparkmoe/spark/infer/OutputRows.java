package dev.sparkmoe.spark.infer;

import dev.sparkmoe.core.forward.FinalHidden;
import dev.sparkmoe.core.forward.OutputHead;
import dev.sparkmoe.core.forward.OutputKind;
import dev.sparkmoe.core.generate.Generation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/** Output rows of each {@link OutputKind}, in the column order of {@link OutputSchema}. */
public final class OutputRows {
  private OutputRows() {}

  /** The outputs of row {@code index} of {@code states}. */
  public static Row of(
      OutputKind kind, Object id, OutputHead head, FinalHidden states, int index, int[] tokens) {
    return switch (kind) {
      case EMBEDDING -> RowFactory.create(id, head.embedding(states, index));
      case NEXT_TOKEN -> {
        OutputHead.NextToken next = head.nextToken(states, index);
        yield RowFactory.create(id, next.token(), next.logprob());
      }
      case SCORE -> {
        OutputHead.Score score = head.score(states, index, tokens);
        yield RowFactory.create(id, score.logLikelihood(), score.numTokens());
      }
      case HIDDEN -> RowFactory.create(id, head.hidden(states, index));
      case GENERATE ->
          throw new IllegalStateException("Cannot output kind generate from hidden states");
    };
  }

  /** Null outputs, for a row without tokens. */
  public static Row empty(OutputKind kind, Object id) {
    return switch (kind) {
      case EMBEDDING, HIDDEN -> RowFactory.create(id, null);
      case NEXT_TOKEN, SCORE -> RowFactory.create(id, null, null);
      case GENERATE -> RowFactory.create(id, null, null, null, null, null);
    };
  }

  /** The output row of kind {@code generate}. */
  public static Row generated(Object id, Generation generation) {
    return RowFactory.create(
        id,
        generation.tokens(),
        generation.logprobs(),
        generation.finishReason().outputName(),
        generation.numInputTokens(),
        generation.numOutputTokens());
  }
}
