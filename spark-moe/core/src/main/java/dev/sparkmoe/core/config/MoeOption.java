package dev.sparkmoe.core.config;

import dev.sparkmoe.core.Checks;
import java.util.List;
import java.util.Optional;

/**
 * One setting: its key, where it is read, its default and how its text parses. Immutable and
 * thread-safe.
 *
 * @param key the key without the {@code spark.moe.} prefix, lower-case with dots and dashes
 * @param type the parsed value's type
 * @param scope where the setting is read
 * @param defaultValue the default as text (parsed by {@code parser}); null when the default depends
 *     on the run (the input, the cluster, other settings)
 * @param defaultDoc the default as the documentation states it
 * @param doc one line of documentation
 * @param parser parses and checks a value; throws {@link IllegalArgumentException} naming it
 * @param deprecatedAliases older keys that still work, without the prefix
 * @param <T> the parsed value's type
 */
public record MoeOption<T>(
    String key,
    Class<T> type,
    Scope scope,
    String defaultValue,
    String defaultDoc,
    String doc,
    Parser<T> parser,
    List<String> deprecatedAliases) {
  /** The prefix of every session conf key and system property. */
  public static final String PREFIX = "spark.moe.";

  /** Where a setting is read. */
  public enum Scope {
    /** A call's option (CLI flag, DataFrame method, SQL or DataSource option), else the conf. */
    CALL,
    /** The session conf only. */
    SESSION,
    /** A JVM system property of the executors ({@code spark.executor.extraJavaOptions}). */
    SYSTEM_PROPERTY
  }

  /** Parses the text of one setting; {@code name} is how messages name the setting. */
  @FunctionalInterface
  public interface Parser<T> {
    T parse(String name, String value);
  }

  public MoeOption {
    Checks.checkArgument(
        key.matches("[a-z0-9.-]+"),
        "Invalid key: %s (expected: lower-case with dots and dashes)",
        key);
    Checks.checkArgument(
        defaultDoc != null,
        "Invalid option %s: no default documented (expected: a default or a defaultDoc)",
        key);
    deprecatedAliases = List.copyOf(deprecatedAliases);
  }

  /** Starts the declaration of {@code key}, read as a call option by default. */
  public static <T> Builder<T> builder(String key, Class<T> type, Parser<T> parser) {
    return new Builder<>(key, type, parser);
  }

  /** {@code spark.moe.<key>}: the session conf key or the system property. */
  public String confKey() {
    return PREFIX + key;
  }

  /**
   * Parses {@code value}, naming the setting by its key (by its full property name for a system
   * property, which users know only by that name).
   *
   * @throws IllegalArgumentException for a value that does not parse
   */
  public T parse(String value) {
    return parser.parse(scope == Scope.SYSTEM_PROPERTY ? confKey() : key, value);
  }

  /** The parsed default; empty when the default depends on the run. */
  public Optional<T> defaultParsed() {
    return Optional.ofNullable(defaultValue).map(this::parse);
  }

  /** Whether {@code name} is this key or one of its deprecated aliases. */
  public boolean answersTo(String name) {
    return key.equals(name) || deprecatedAliases.contains(name);
  }

  /** Declares a {@link MoeOption} one setting at a time. */
  public static final class Builder<T> {
    private final String key;
    private final Class<T> type;
    private final Parser<T> parser;
    private Scope scope = Scope.CALL;
    private String defaultValue;
    private String defaultDoc;
    private List<String> aliases = List.of();

    private Builder(String key, Class<T> type, Parser<T> parser) {
      this.key = key;
      this.type = type;
      this.parser = parser;
    }

    public Builder<T> scope(Scope value) {
      this.scope = value;
      return this;
    }

    /** A fixed default, documented as itself unless {@link #defaultDoc} says more. */
    public Builder<T> defaultValue(String value) {
      this.defaultValue = value;
      if (defaultDoc == null) {
        defaultDoc = value;
      }
      return this;
    }

    public Builder<T> defaultDoc(String value) {
      this.defaultDoc = value;
      return this;
    }

    public Builder<T> deprecatedAliases(String... names) {
      this.aliases = List.of(names);
      return this;
    }

    public MoeOption<T> doc(String doc) {
      return new MoeOption<>(key, type, scope, defaultValue, defaultDoc, doc, parser, aliases);
    }
  }
}
