package dev.sparkmoe.core.generate;

/** Why a row stopped generating. */
public enum FinishReason {
  /** It reached max-new-tokens, or the model's longest sequence. */
  LENGTH("length"),
  /** It chose an end-of-sequence or a stop id (kept as its last output token). */
  STOP("stop");

  private final String outputName;

  FinishReason(String outputName) {
    this.outputName = outputName;
  }

  /** The value of the {@code finish_reason} column. */
  public String outputName() {
    return outputName;
  }
}
