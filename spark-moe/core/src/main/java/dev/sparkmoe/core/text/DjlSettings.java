package dev.sparkmoe.core.text;

/**
 * The DJL system properties spark-moe sets before its first tokenizer, unless the user set them: no
 * telemetry call (DJL calls an AWS endpoint from EC2 hosts otherwise), and the CPU build of the
 * native library, the one inside the jar (on a CUDA host DJL would look for a CUDA build and
 * download it).
 */
final class DjlSettings {
  private DjlSettings() {}

  static synchronized void apply() {
    setIfAbsent("OPT_OUT_TRACKING", "true");
    setIfAbsent("RUST_FLAVOR", "cpu");
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null && System.getenv(key) == null) {
      System.setProperty(key, value);
    }
  }
}
