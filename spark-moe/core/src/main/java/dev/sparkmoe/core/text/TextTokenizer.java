package dev.sparkmoe.core.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.sparkmoe.core.Checks;
import dev.sparkmoe.core.IoErrors;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * One Hugging Face {@code tokenizer.json}: text to token ids and ids back to text, exactly as the
 * Python {@code tokenizers} library's {@code Tokenizer.from_file(...)} does — {@code encode(text)}
 * with the special tokens its post-processor adds (a BOS token where it defines one), added tokens
 * recognized in the text, and {@code decode(ids)} without special tokens. Only {@code
 * tokenizer.json} is read: {@code tokenizer_config.json} (transformers' wrapper settings) is not.
 *
 * <p>Thread-safe: the native tokenizer is immutable once loaded. Owns native memory, freed by
 * {@link #close()}; {@link TokenizerCache} keeps one per file for the life of the JVM.
 */
public final class TextTokenizer implements AutoCloseable {
  /** The file a tokenizer folder holds. */
  public static final String FILE_NAME = "tokenizer.json";

  // No truncation nor padding (a row's length is the model's business), nothing of transformers'
  // tokenizer_config.json; special tokens as the tokenizer's post-processor adds them.
  private static final Map<String, String> OPTIONS =
      Map.of(
          "addSpecialTokens", "true",
          "truncation", "false",
          "padding", "false",
          "withOverflowingTokens", "false");

  private final Path file;
  private final HuggingFaceTokenizer tokenizer;

  private TextTokenizer(Path file, HuggingFaceTokenizer tokenizer) {
    this.file = file;
    this.tokenizer = tokenizer;
  }

  /**
   * Loads {@code tokenizer.json} from {@code location}, a folder that holds it or the file itself.
   *
   * @throws IllegalArgumentException naming the file when it is missing or not a tokenizer
   */
  public static TextTokenizer open(Path location) {
    Path file = resolve(location);
    byte[] json = read(file);
    DjlSettings.apply();
    try {
      return new TextTokenizer(
          file, HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), OPTIONS));
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot load tokenizer %s: %s (expected: a Hugging Face tokenizer.json, as"
                  + " tokenizers' Tokenizer.save or transformers' save_pretrained writes)",
              file, firstLine(e)),
          e);
    }
  }

  /** The {@code tokenizer.json} in {@code location}, a folder or the file itself. */
  public static Path resolve(Path location) {
    Path absolute = location.toAbsolutePath().normalize();
    return Files.isDirectory(absolute) ? absolute.resolve(FILE_NAME) : absolute;
  }

  /**
   * The tokenizer of a run: {@code tokenizer} when given (a folder or the file), else the model
   * folder when it holds {@code tokenizer.json}; empty when neither.
   */
  public static Optional<Path> locate(Path modelDir, Optional<String> tokenizer) {
    if (tokenizer.isPresent()) {
      return Optional.of(resolve(Path.of(tokenizer.get())));
    }
    return isIn(modelDir) ? Optional.of(resolve(modelDir)) : Optional.empty();
  }

  /** Whether {@code folder} holds a {@code tokenizer.json}. */
  public static boolean isIn(Path folder) {
    return Files.isRegularFile(folder.resolve(FILE_NAME));
  }

  /** The file this tokenizer was loaded from. */
  public Path file() {
    return file;
  }

  /**
   * The token ids of {@code text}, with the special tokens the tokenizer adds.
   *
   * @throws IllegalArgumentException for a null text
   */
  public int[] encode(String text) {
    Checks.checkArgument(text != null, "Invalid text: null (expected: a string)");
    long[] ids = tokenizer.encode(text, true, false).getIds();
    int[] tokens = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      tokens[i] = Math.toIntExact(ids[i]);
    }
    return tokens;
  }

  /**
   * The text of {@code tokens}, special tokens left out.
   *
   * @throws IllegalArgumentException for a null array or a negative id
   */
  public String decode(int[] tokens) {
    Checks.checkArgument(tokens != null, "Invalid tokens: null (expected: an array of ids)");
    long[] ids = new long[tokens.length];
    for (int i = 0; i < tokens.length; i++) {
      Checks.checkArgument(
          tokens[i] >= 0,
          "Invalid token id %d at position %d for %s (expected: >= 0)",
          tokens[i],
          i,
          file);
      ids[i] = tokens[i];
    }
    return tokenizer.decode(ids, true);
  }

  @Override
  public void close() {
    tokenizer.close();
  }

  private static byte[] read(Path file) {
    if (!Files.exists(file)) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot load tokenizer %s: file does not exist (set --tokenizer to a folder that"
                  + " holds tokenizer.json, or to the file)",
              file));
    }
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IllegalArgumentException(IoErrors.cannot("read tokenizer " + file, e).getMessage());
    }
  }

  private static String firstLine(Exception e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
