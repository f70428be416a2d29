package dev.sparkmoe.core.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.oracle.HuggingFaceOracle;
import dev.sparkmoe.core.oracle.HuggingFaceOracle.TokenizerReference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link TextTokenizer} against the Python {@code tokenizers} library on real BPE tokenizers that
 * library trained and saved: ids identical, and text back identical.
 */
class TextTokenizerTest {
  /** Texts with words outside the training corpus, other scripts, emoji, an added token. */
  static final List<String> TEXTS =
      List.of(
          "Hello world",
          "The quick brown fox <|sep|> jumps over the lazy dog.",
          "café naïve 東京 Москва 🚀 zebra xylophone",
          "  two  spaces and a tab\tand a newline\n",
          "<s> a literal BOS in the text, and </s> an EOS",
          "Experts live on their own GPUs; 1024 tokens travel through a shuffle.",
          "",
          "x");

  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"bytelevel", "metaspace"})
  void encodesAndDecodesAsPythonTokenizers(String style) {
    TokenizerReference reference =
        HuggingFaceOracle.locate().tokenizer(dir.resolve(style), style, 300, TEXTS);
    try (TextTokenizer tokenizer = TextTokenizer.open(reference.directory())) {
      for (int i = 0; i < TEXTS.size(); i++) {
        int[] ids = tokenizer.encode(TEXTS.get(i));
        assertThat(ids)
            .as("Python tokenizers %s: Tokenizer.encode(%s).ids", style, TEXTS.get(i))
            .containsExactly(reference.ids().get(i));
        assertThat(ids[0]).as("the post-processor's BOS <s>, id 1").isEqualTo(1);
        assertThat(tokenizer.decode(ids))
            .as("Python tokenizers %s: Tokenizer.decode(ids) of %s", style, TEXTS.get(i))
            .isEqualTo(reference.decoded().get(i));
      }
    }
  }

  @Test
  void byteLevelTextComesBackWhole() {
    TokenizerReference reference =
        HuggingFaceOracle.locate().tokenizer(dir.resolve("b"), "bytelevel", 300, TEXTS);
    try (TextTokenizer tokenizer =
        TextTokenizer.open(reference.directory().resolve("tokenizer.json"))) {
      List<String> back = new ArrayList<>();
      for (String text : TEXTS) {
        back.add(tokenizer.decode(tokenizer.encode(text)));
      }
      // Byte-level BPE loses nothing but the special tokens, which decode skips.
      assertThat(back)
          .as("decode(encode(text)) with a byte-level BPE")
          .containsExactlyElementsOf(
              TEXTS.stream().map(t -> t.replace("<s>", "").replace("</s>", "")).toList());
    }
  }

  @Test
  void longTextIsNotTruncated() {
    TokenizerReference reference =
        HuggingFaceOracle.locate().tokenizer(dir.resolve("b"), "bytelevel", 300, List.of("a"));
    try (TextTokenizer tokenizer = TextTokenizer.open(reference.directory())) {
      String text = "zebra ".repeat(2000);
      assertThat(tokenizer.decode(tokenizer.encode(text))).isEqualTo(text);
      assertThat(tokenizer.encode(text).length)
          .as("beyond any model_max_length")
          .isGreaterThan(2000);
    }
  }

  @Test
  void missingFileIsNamed() {
    Path file = dir.resolve("tokenizer.json");
    assertThatThrownBy(() -> TextTokenizer.open(dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot load tokenizer "
                + file
                + ": file does not exist (set --tokenizer to a folder that holds tokenizer.json, or"
                + " to the file)");
  }

  @Test
  void brokenFileIsNamed() throws IOException {
    Path file = dir.resolve("tokenizer.json");
    Files.writeString(
        file, "{\"version\": \"1.0\", \"model\": {\"type\": \"BPE\", ", StandardCharsets.UTF_8);
    assertThatThrownBy(() -> TextTokenizer.open(dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Cannot load tokenizer " + file + ": ")
        .hasMessageEndingWith(
            "(expected: a Hugging Face tokenizer.json, as tokenizers' Tokenizer.save or"
                + " transformers' save_pretrained writes)");
  }

  @Test
  void cacheLoadsAFileOnceAndAgainWhenItChanges() throws IOException {
    TokenizerReference reference =
        HuggingFaceOracle.locate().tokenizer(dir.resolve("b"), "bytelevel", 300, List.of("a"));
    TextTokenizer first = TokenizerCache.get(reference.directory());
    assertThat(TokenizerCache.get(reference.directory().resolve("tokenizer.json"))).isSameAs(first);
    Path file = reference.directory().resolve("tokenizer.json");
    Files.setLastModifiedTime(
        file,
        java.nio.file.attribute.FileTime.fromMillis(
            Files.getLastModifiedTime(file).toMillis() + 10_000));
    assertThat(TokenizerCache.get(reference.directory())).isNotSameAs(first);
  }
}
