package dev.sparkmoe.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkmoe.core.generate.ModelGenerator;
import dev.sparkmoe.core.generate.ModelSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code moe infer --text-column} from the application jar on Spark's jars alone, offline: the
 * tokenizers' native library loads from the jar, and the scores of a text column equal those of the
 * ids the tokenizer defines (a hand-written word-level tokenizer.json with a BOS template).
 */
class TextCliIT {
  private static final String TOKENIZER =
      """
      {"version": "1.0", "truncation": null, "padding": null,
       "added_tokens": [{"id": 0, "content": "<s>", "single_word": false, "lstrip": false,
                         "rstrip": false, "normalized": false, "special": true}],
       "normalizer": null, "pre_tokenizer": {"type": "Whitespace"},
       "post_processor": {"type": "TemplateProcessing",
         "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
         "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                  {"Sequence": {"id": "B", "type_id": 1}}],
         "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]}}},
       "decoder": null,
       "model": {"type": "WordLevel", "unk_token": "<unk>",
                 "vocab": {"<s>": 0, "hello": 1, "world": 2, "spark": 3, "experts": 4, "<unk>": 5}}}
      """;

  @TempDir Path dir;

  @Test
  void scoresATextColumnFromTheApplicationJar() throws Exception {
    Path model = dir.resolve("model");
    new ModelGenerator(ModelSpec.Preset.TINY.spec()).writeTo(model);
    Files.writeString(model.resolve("tokenizer.json"), TOKENIZER, StandardCharsets.UTF_8);
    Path texts = dir.resolve("texts.json");
    Files.write(
        texts,
        List.of(
            "{\"id\": 1, \"text\": \"hello world\"}",
            "{\"id\": 2, \"text\": \"spark experts hello\"}",
            "{\"id\": 3, \"text\": \"experts unknown\"}"));
    Path ids = dir.resolve("ids.json");
    Files.write(
        ids,
        List.of(
            "{\"id\": 1, \"tokens\": [0, 1, 2]}",
            "{\"id\": 2, \"tokens\": [0, 3, 4, 1]}",
            "{\"id\": 3, \"tokens\": [0, 4, 5]}"));

    List<String> fromText = infer(model, texts, "fromText", "--text-column", "text");
    List<String> fromIds = infer(model, ids, "fromIds");

    assertThat(fromIds).hasSize(3);
    assertThat(fromText).as("scores of the text column and of its ids").isEqualTo(fromIds);
  }

  /** Runs {@code moe infer --kind score} in a child JVM; the output's JSON lines, sorted. */
  private List<String> infer(Path model, Path input, String name, String... flags)
      throws IOException, InterruptedException {
    Path output = dir.resolve(name);
    Path log = dir.resolve(name + ".log");
    String opens =
        Files.readString(ConfTemplates.root().resolve("pom.xml"))
            .replaceAll("(?s).*<spark.java17.opens>(.*?)</spark.java17.opens>.*", "$1");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of(opens.split(" ")));
    command.addAll(
        List.of(
            "--add-modules",
            "jdk.incubator.vector",
            "-cp",
            System.getProperty("moe.all.jar")
                + ":"
                + Files.readString(Path.of(System.getProperty("moe.spark.classpath"))).strip(),
            "dev.sparkmoe.spark.cli.MoeCli",
            "infer",
            "--model",
            model.toString(),
            "--input",
            input.toString(),
            "--input-format",
            "json",
            "--output",
            output.toString(),
            "--output-format",
            "json",
            "--kind",
            "score"));
    command.addAll(List.of(flags));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    // The tokenizers' native library goes to a cache of this test's own, not ~/.djl.ai.
    builder.environment().put("DJL_CACHE_DIR", dir.resolve("djl").toString());
    Process process = builder.start();
    boolean finished = process.waitFor(300, TimeUnit.SECONDS);
    if (!finished) {
      process.destroy();
    }
    String printed = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(finished).as(printed).isTrue();
    assertThat(process.exitValue()).as(printed).isZero();
    List<String> lines = new ArrayList<>();
    try (Stream<Path> parts = Files.list(output)) {
      for (Path part : parts.filter(p -> p.getFileName().toString().startsWith("part-")).toList()) {
        lines.addAll(Files.readAllLines(part));
      }
    }
    return lines.stream().sorted().toList();
  }
}
