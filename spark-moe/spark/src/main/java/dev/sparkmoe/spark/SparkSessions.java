package dev.sparkmoe.spark;

import org.apache.spark.sql.SparkSession;

/**
 * The session a command runs in: the active one when there is one (a notebook, spark-submit, a
 * test), else a new one on the given master. A command stops only a session it created.
 */
public final class SparkSessions {
  private SparkSessions() {}

  /** A session and whether the caller owns it. Close it to stop an owned session. */
  public record Handle(SparkSession session, boolean owned) implements AutoCloseable {
    @Override
    public void close() {
      if (owned) {
        session.stop();
      }
    }
  }

  /** The active or default session, or a new local one on {@code master}. */
  public static Handle open(String master, String appName) {
    var existing = SparkSession.getActiveSession();
    if (existing.isDefined()) {
      return new Handle(existing.get(), false);
    }
    var fallback = SparkSession.getDefaultSession();
    if (fallback.isDefined()) {
      return new Handle(fallback.get(), false);
    }
    SparkSession.Builder builder = SparkSession.builder().appName(appName);
    if (master != null && !System.getProperties().containsKey("spark.master")) {
      builder.master(master);
    }
    return new Handle(
        builder
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate(),
        true);
  }
}
