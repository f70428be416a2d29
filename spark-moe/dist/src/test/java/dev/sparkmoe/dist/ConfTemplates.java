package dev.sparkmoe.dist;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;

/** The repository's conf/ templates, read as Spark reads a properties file. */
public final class ConfTemplates {
  private ConfTemplates() {}

  public static Path root() {
    return Path.of(System.getProperty("moe.root")).toAbsolutePath();
  }

  static Path conf() {
    return root().resolve("conf");
  }

  static List<Path> all() {
    try (Stream<Path> files = Files.list(conf())) {
      return files
          .filter(p -> p.getFileName().toString().endsWith(".conf.template"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** As {@code spark-submit --properties-file} reads it (java.util.Properties, values trimmed). */
  static Map<String, String> read(Path template) {
    Properties properties = new Properties();
    try (Reader in = Files.newBufferedReader(template, StandardCharsets.UTF_8)) {
      properties.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, String> out = new TreeMap<>();
    properties.stringPropertyNames().forEach(k -> out.put(k, properties.getProperty(k).trim()));
    return out;
  }

  /**
   * A session with every setting of {@code template}, on {@code local[2]} and loopback, without UI:
   * the template as a user's job would get it.
   */
  static SparkSession localSession(String template, String appName) {
    return localSession(template, appName, Map.of());
  }

  /** {@link #localSession(String, String)} with {@code extra} settings on top. */
  public static SparkSession localSession(
      String template, String appName, Map<String, String> extra) {
    SparkSession.Builder builder = SparkSession.builder();
    read(conf().resolve(template)).forEach(builder::config);
    extra.forEach(builder::config);
    return builder
        .master("local[2]")
        .appName(appName)
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate();
  }
}
