package dev.sparkmoe.spark.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.core.config.MoeOption;
import dev.sparkmoe.core.config.MoeOptions;
import dev.sparkmoe.spark.SparkTestSession;
import dev.sparkmoe.spark.cli.MoeCli;
import dev.sparkmoe.spark.sql.InferenceOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The documentation agrees with the registry ({@link MoeOptions}): the README's configuration
 * tables, the {@code conf/} templates, {@code moe infer --help} and {@code DESCRIBE FUNCTION
 * moe_infer} name every key with its default, and nothing the registry does not declare.
 */
class OptionsDocumentationTest {
  private static final Pattern TEMPLATE_KEY =
      Pattern.compile("^#?\\s*(spark\\.moe\\.[a-z0-9.-]+)\\s");
  private static SparkSession spark;

  @BeforeAll
  static void setUp() {
    spark = SparkTestSession.start("OptionsDocumentationTest");
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  @Test
  void theReadmeTablesListEveryKeyWithItsDefault() throws IOException {
    Map<String, String> rows = readmeRows();
    Map<String, String> expected = new LinkedHashMap<>();
    for (MoeOption<?> option : MoeOptions.ALL) {
      String cell = option.scope() == MoeOption.Scope.SYSTEM_PROPERTY ? "-D" : "";
      expected.put(cell + option.confKey(), option.defaultDoc());
      for (String alias : option.deprecatedAliases()) {
        expected.put(MoeOption.PREFIX + alias, "");
      }
    }
    assertThat(rows).as("README key -> default column (backticks removed)").isEqualTo(expected);
  }

  @Test
  void theReferenceTemplateDocumentsEveryKeyWithItsDefault() throws IOException {
    List<String> lines = Files.readAllLines(conf().resolve("spark-defaults.conf.template"));
    String text = String.join("\n", lines);
    for (MoeOption<?> option : MoeOptions.ALL) {
      if (option.scope() == MoeOption.Scope.SYSTEM_PROPERTY) {
        assertThat(text).contains("-D" + option.confKey() + "=" + option.defaultValue());
        continue;
      }
      assertThat(commentAbove(lines, option.confKey()))
          .as("the comment above # %s", option.confKey())
          .contains("Default: " + option.defaultDoc());
      for (String alias : option.deprecatedAliases()) {
        assertThat(commentAbove(lines, MoeOption.PREFIX + alias))
            .startsWith("Deprecated alias of " + option.confKey());
      }
    }
  }

  @Test
  void templatesSetOnlyRegistryKeysToValuesTheyParse() throws IOException {
    List<String> known = sessionKeys();
    try (Stream<Path> files = Files.list(conf())) {
      for (Path template : files.filter(p -> p.toString().endsWith(".conf.template")).toList()) {
        TreeSet<String> named = new TreeSet<>();
        for (String line : Files.readAllLines(template)) {
          Matcher m = TEMPLATE_KEY.matcher(line);
          if (m.find()) {
            named.add(m.group(1));
          }
        }
        assertThat(named).as("spark.moe.* keys in %s", template).isSubsetOf(known);
        Properties settings = new Properties();
        try (var in = Files.newBufferedReader(template)) {
          settings.load(in);
        }
        for (String key : settings.stringPropertyNames()) {
          MoeOptions.find(MoeOptions.ALL, key.substring(MoeOption.PREFIX.length()))
              .filter(o -> key.startsWith(MoeOption.PREFIX))
              .ifPresent(o -> o.parse(settings.getProperty(key).trim()));
        }
      }
    }
  }

  @Test
  void inferHelpHasAFlagForEveryCallOptionWithItsDefault() {
    StringWriter out = new StringWriter();
    int code =
        MoeCli.commandLine(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true))
            .execute("infer", "--help");
    assertThat(code).isZero();
    // picocli wraps lines at blanks and after dots: compare without whitespace.
    String help = out.toString().replaceAll("\\s+", "");
    for (MoeOption<?> option : MoeOptions.inScope(MoeOption.Scope.CALL)) {
      String fallback =
          List.of("kind", "id-column", "tokens-column").contains(option.key())
              ? option.defaultValue()
              : option.confKey() + ", else " + option.defaultDoc();
      assertThat(help)
          .as("--%s in moe infer --help", option.key())
          .contains("--" + option.key() + "=")
          .contains((option.doc() + " (default: " + fallback + ").").replaceAll("\\s+", ""));
    }
  }

  @Test
  void describeMoeInferListsEveryOptionWithItsDefault() {
    String usage =
        String.join(
            "\n",
            spark
                .sql("DESCRIBE FUNCTION EXTENDED moe_infer")
                .as(Encoders.STRING())
                .collectAsList());
    assertThat(usage).contains("kind: " + MoeOptions.KIND.doc() + ".");
    for (MoeOption<?> option : InferenceOptions.OPTIONS) {
      assertThat(usage).contains(option.key() + " (" + option.defaultDoc() + ")");
    }
    assertThat(InferenceOptions.KEYS)
        .as(
            "every call option but kind, an argument of its own, and the scalar functions' batch-rows")
        .containsExactlyElementsOf(
            MoeOptions.keys(MoeOptions.inScope(MoeOption.Scope.CALL)).stream()
                .filter(k -> !k.equals("kind") && !k.equals("output") && !k.equals("batch-rows"))
                .toList());
  }

  private static List<String> sessionKeys() {
    List<String> keys = new ArrayList<>();
    for (MoeOption<?> option : MoeOptions.ALL) {
      if (option.scope() != MoeOption.Scope.SYSTEM_PROPERTY) {
        keys.add(option.confKey());
        option.deprecatedAliases().forEach(a -> keys.add(MoeOption.PREFIX + a));
      }
    }
    return keys;
  }

  /** The comment lines right above {@code # key}, back to the blank line, joined. */
  private static String commentAbove(List<String> lines, String key) {
    int at = -1;
    for (int i = 0; i < lines.size(); i++) {
      Matcher m = TEMPLATE_KEY.matcher(lines.get(i));
      if (m.find() && m.group(1).equals(key)) {
        at = i;
        break;
      }
    }
    assertThat(at).as("a line # %s in the reference template", key).isNotNegative();
    List<String> comment = new ArrayList<>();
    for (int i = at - 1; i >= 0 && lines.get(i).startsWith("# "); i--) {
      if (TEMPLATE_KEY.matcher(lines.get(i)).find()) {
        break;
      }
      comment.add(0, lines.get(i).substring(2).trim());
    }
    return String.join(" ", comment);
  }

  /** Key cell to default cell of every README table row whose key is a spark.moe.* setting. */
  private static Map<String, String> readmeRows() throws IOException {
    Map<String, String> rows = new LinkedHashMap<>();
    for (String line : Files.readAllLines(root().resolve("README.md"))) {
      if (line.startsWith("| `spark.moe.") || line.startsWith("| `-Dspark.moe.")) {
        String[] cells = line.split("\\|", -1);
        rows.put(cells[1].trim().replace("`", ""), cells[2].trim().replace("`", ""));
      }
    }
    return rows;
  }

  private static Path root() {
    return Path.of(System.getProperty("moe.root")).toAbsolutePath();
  }

  private static Path conf() {
    return root().resolve("conf");
  }
}
