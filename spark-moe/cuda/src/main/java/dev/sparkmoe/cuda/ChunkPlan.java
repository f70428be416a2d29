package dev.sparkmoe.cuda;

/**
 * The split of a batch into pipelined chunks: chunk {@code i} covers tokens {@code [start(i),
 * start(i) + tokens(i))} and uses double-buffer slot {@code i % 2}.
 *
 * @param totalTokens tokens in the batch, {@code >= 0}
 * @param chunkTokens the most tokens per chunk, {@code >= 1}
 */
record ChunkPlan(int totalTokens, int chunkTokens) {
  static final int SLOTS = 2;

  ChunkPlan {
    if (totalTokens < 0) {
      throw new IllegalArgumentException(
          String.format("Invalid token count: %d (expected: >= 0)", totalTokens));
    }
    if (chunkTokens < 1) {
      throw new IllegalArgumentException(
          String.format("Invalid chunk tokens: %d (expected: >= 1)", chunkTokens));
    }
  }

  int chunks() {
    return (int) (((long) totalTokens + chunkTokens - 1) / chunkTokens);
  }

  int start(int chunk) {
    return chunk * chunkTokens;
  }

  int tokens(int chunk) {
    return Math.min(chunkTokens, totalTokens - start(chunk));
  }

  static int slot(int chunk) {
    return chunk % SLOTS;
  }
}
