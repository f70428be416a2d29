package dev.sparkmoe.core.forward;

import java.util.Arrays;
import java.util.stream.Collectors;

/** What inference returns per row. */
public enum OutputKind {
  /** Mean over positions of the final-normalized hidden state. */
  EMBEDDING("embedding"),
  /** Argmax of the LM head at the last position, with its log-probability. */
  NEXT_TOKEN("next-token"),
  /** Sum over positions t ≥ 1 of log p(token_t | tokens_&lt;t), and the row's token count. */
  SCORE("score"),
  /** Final-normalized hidden state of every position. */
  HIDDEN("hidden"),
  /** New tokens from a KV-cached decoder loop, greedy or sampled, with their log-probabilities. */
  GENERATE("generate");

  private final String cliName;

  OutputKind(String cliName) {
    this.cliName = cliName;
  }

  /** The name users write ({@code --kind next-token}). */
  public String cliName() {
    return cliName;
  }

  /** Parses a user-facing name; fails listing the valid ones. */
  public static OutputKind parse(String name) {
    for (OutputKind kind : values()) {
      if (kind.cliName.equals(name)) {
        return kind;
      }
    }
    throw new IllegalArgumentException(
        String.format(
            "Invalid output kind: %s (expected: one of %s)",
            name,
            Arrays.stream(values()).map(OutputKind::cliName).collect(Collectors.joining(", "))));
  }
}
