package dev.sparkmoe.core.generate;

import dev.sparkmoe.core.Checks;
import java.io.Serializable;
import java.util.Arrays;

/**
 * How a row's new tokens are chosen, the parameters of vLLM's {@code SamplingParams} and {@code
 * transformers}' {@code generate}. Immutable (the stop ids are copied in and out).
 *
 * @param maxNewTokens at most this many new tokens, at least 1
 * @param minNewTokens end-of-sequence and stop ids cannot be chosen before this many new tokens
 * @param temperature 0 for greedy (the most likely token), else the logits are divided by it
 * @param topK keep only the k most likely tokens; 0 keeps all
 * @param topP keep the smallest set of most likely tokens whose probability reaches p; 1 keeps all
 * @param minP drop tokens less likely than {@code minP} times the most likely one; 0 keeps all
 * @param seed the seed of every row's generator, drawn at (seed, row id, step)
 * @param stopTokenIds ids that end the row (the id is kept in the output), besides end-of-sequence
 * @param ignoreEos whether end-of-sequence ids are ordinary tokens
 */
public record SamplingParams(
    int maxNewTokens,
    int minNewTokens,
    double temperature,
    int topK,
    double topP,
    double minP,
    long seed,
    int[] stopTokenIds,
    boolean ignoreEos)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** 16 new tokens, greedy, no stop ids: the defaults of the options. */
  public static final SamplingParams DEFAULTS =
      new SamplingParams(16, 0, 0, 0, 1, 0, 0, new int[0], false);

  public SamplingParams {
    Checks.checkArgument(
        maxNewTokens >= 1, "Invalid max-new-tokens: %d (expected: >= 1)", maxNewTokens);
    Checks.checkArgument(
        minNewTokens >= 0 && minNewTokens <= maxNewTokens,
        "Invalid min-new-tokens: %d (expected: 0 <= min-new-tokens <= max-new-tokens %d)",
        minNewTokens,
        maxNewTokens);
    Checks.checkArgument(
        temperature >= 0 && Double.isFinite(temperature),
        "Invalid temperature: %s (expected: a finite number >= 0; 0 is greedy)",
        temperature);
    Checks.checkArgument(topK >= 0, "Invalid top-k: %d (expected: >= 0; 0 keeps all)", topK);
    Checks.checkArgument(
        topP > 0 && topP <= 1, "Invalid top-p: %s (expected: 0 < top-p <= 1; 1 keeps all)", topP);
    Checks.checkArgument(
        minP >= 0 && minP <= 1, "Invalid min-p: %s (expected: 0 <= min-p <= 1; 0 keeps all)", minP);
    stopTokenIds = stopTokenIds.clone();
  }

  @Override
  public int[] stopTokenIds() {
    return stopTokenIds.clone();
  }

  /** Whether {@code token} is one of the stop ids. */
  public boolean isStop(int token) {
    for (int id : stopTokenIds) {
      if (id == token) {
        return true;
      }
    }
    return false;
  }

  public boolean isGreedy() {
    return temperature == 0;
  }

  public SamplingParams withMaxNewTokens(int value) {
    return new SamplingParams(
        value,
        Math.min(minNewTokens, value),
        temperature,
        topK,
        topP,
        minP,
        seed,
        stopTokenIds,
        ignoreEos);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SamplingParams p
        && maxNewTokens == p.maxNewTokens
        && minNewTokens == p.minNewTokens
        && Double.compare(temperature, p.temperature) == 0
        && topK == p.topK
        && Double.compare(topP, p.topP) == 0
        && Double.compare(minP, p.minP) == 0
        && seed == p.seed
        && Arrays.equals(stopTokenIds, p.stopTokenIds)
        && ignoreEos == p.ignoreEos;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(stopTokenIds) * 31
        + java.util.Objects.hash(maxNewTokens, temperature, seed);
  }

  @Override
  public String toString() {
    return String.format(
        "SamplingParams[maxNewTokens=%d, minNewTokens=%d, temperature=%s, topK=%d, topP=%s,"
            + " minP=%s, seed=%d, stopTokenIds=%s, ignoreEos=%s]",
        maxNewTokens,
        minNewTokens,
        temperature,
        topK,
        topP,
        minP,
        seed,
        Arrays.toString(stopTokenIds),
        ignoreEos);
  }
}
