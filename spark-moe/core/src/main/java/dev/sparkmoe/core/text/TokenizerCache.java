package dev.sparkmoe.core.text;

import dev.sparkmoe.core.IoErrors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One loaded {@link TextTokenizer} per {@code tokenizer.json} and per version of it in this JVM (an
 * executor loads a tokenizer once, not once per task or row). A file that changed (size or
 * modification time) is loaded again. Thread-safe; tokenizers live as long as the JVM.
 */
public final class TokenizerCache {
  private record Version(Path file, long sizeBytes, long modifiedMs) {}

  private static final Map<Version, TextTokenizer> LOADED = new ConcurrentHashMap<>();

  private TokenizerCache() {}

  /**
   * The tokenizer of {@code location}, a folder that holds {@code tokenizer.json} or the file.
   *
   * @throws IllegalArgumentException naming the file when it is missing or not a tokenizer
   */
  public static TextTokenizer get(Path location) {
    Path file = TextTokenizer.resolve(location);
    if (!Files.exists(file)) {
      return TextTokenizer.open(file); // throws the message that names the file
    }
    return LOADED.computeIfAbsent(version(file), v -> TextTokenizer.open(v.file()));
  }

  /** As {@link #get(Path)}, for a path in text (a SQL argument, an option). */
  public static TextTokenizer get(String location) {
    return get(Path.of(location));
  }

  private static Version version(Path file) {
    try {
      return new Version(file, Files.size(file), Files.getLastModifiedTime(file).toMillis());
    } catch (IOException e) {
      throw new IllegalArgumentException(IoErrors.cannot("read tokenizer " + file, e).getMessage());
    }
  }
}
