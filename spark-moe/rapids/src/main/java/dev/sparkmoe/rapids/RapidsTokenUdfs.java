package dev.sparkmoe.rapids;

import dev.sparkmoe.spark.sql.TokenUdfs;
import dev.sparkmoe.spark.sql.TokenWindows;
import dev.sparkmoe.spark.sql.TruncateTokens;

/** The GPU instances of the token-array functions; found by {@code TokenUdfs.active()}. */
public final class RapidsTokenUdfs extends TokenUdfs {
  @Override
  public TruncateTokens truncate() {
    return new GpuTruncateTokens();
  }

  @Override
  public TokenWindows windows() {
    return new GpuTokenWindows();
  }
}
