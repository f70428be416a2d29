package dev.sparkmoe.spark.config;

import dev.sparkmoe.core.config.MoeOption;
import dev.sparkmoe.core.config.MoeOptions;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.spark.sql.RuntimeConfig;
import org.apache.spark.sql.SparkSession;

/**
 * The settings of one call in one session, in Iceberg's {@code SparkConfParser} precedence: the
 * call's options, then the session conf ({@code spark.moe.<key>}, then its deprecated aliases),
 * then the registry's default. Values parse when read; an invalid one fails naming its key.
 */
public final class SessionOptions {
  private final Map<String, String> callOptions;
  private final RuntimeConfig conf;

  private SessionOptions(Map<String, String> callOptions, RuntimeConfig conf) {
    this.callOptions = Map.copyOf(callOptions);
    this.conf = conf;
  }

  /**
   * @param callOptions the call's options by canonical key (see {@link #callOption})
   */
  public static SessionOptions of(SparkSession spark, Map<String, String> callOptions) {
    return new SessionOptions(callOptions, spark.conf());
  }

  /** The session conf alone: for settings no call passes. */
  public static SessionOptions of(SparkSession spark) {
    return of(spark, Map.of());
  }

  /**
   * The call option that {@code name} (a key or a deprecated alias) names.
   *
   * @throws IllegalArgumentException for a name that is no call option, listing those there are
   */
  public static MoeOption<?> callOption(String name) {
    var options = MoeOptions.inScope(MoeOption.Scope.CALL);
    return MoeOptions.find(options, name)
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    String.format(
                        "Invalid option: %s (expected: one of %s)",
                        name, String.join(", ", MoeOptions.keys(options)))));
  }

  /** The setting as text, before its default: empty where neither the call nor the conf set it. */
  public Optional<String> text(MoeOption<?> option) {
    String call = option.scope() == MoeOption.Scope.CALL ? callOptions.get(option.key()) : null;
    if (call != null) {
      return Optional.of(call);
    }
    return Stream.concat(Stream.of(option.key()), option.deprecatedAliases().stream())
        .map(key -> conf.get(MoeOption.PREFIX + key, null))
        .filter(v -> v != null)
        .findFirst();
  }

  /** The parsed setting, else the parsed default; empty where the default depends on the run. */
  public <T> Optional<T> find(MoeOption<T> option) {
    return text(option).map(option::parse).or(option::defaultParsed);
  }

  /**
   * The parsed setting, else the parsed default.
   *
   * @throws IllegalStateException for a setting whose default depends on the run
   */
  public <T> T value(MoeOption<T> option) {
    return find(option)
        .orElseThrow(
            () ->
                new IllegalStateException(
                    String.format(
                        "Cannot read option %s: it has no fixed default (%s)",
                        option.key(), option.defaultDoc())));
  }
}
