package dev.sparkmoe.core.forward;

import dev.sparkmoe.core.model.ModelConfig;

/**
 * Checks tokenized rows against a model before any compute, naming the offending row and position.
 */
public final class TokenRows {
  private TokenRows() {}

  /**
   * Checks one non-empty row.
   *
   * @param rowLabel how the error names the row, e.g. its id
   * @throws IllegalArgumentException for a token outside the vocabulary or a row longer than the
   *     model allows
   */
  public static void check(String rowLabel, int[] tokens, ModelConfig config) {
    if (tokens.length > config.maxPositionEmbeddings()) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid sequence length %d in row %s (expected: at most max_position_embeddings %d)",
              tokens.length, rowLabel, config.maxPositionEmbeddings()));
    }
    int vocab = config.vocabSize();
    for (int position = 0; position < tokens.length; position++) {
      int id = tokens[position];
      if (id < 0 || id >= vocab) {
        throw new IllegalArgumentException(
            String.format(
                "Invalid token id %d in row %s at position %d (expected: 0 <= id < %d)",
                id, rowLabel, position, vocab));
      }
    }
  }
}
