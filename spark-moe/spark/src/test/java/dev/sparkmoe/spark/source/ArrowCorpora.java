package dev.sparkmoe.spark.source;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkmoe.core.oracle.HuggingFaceOracle;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Arrow IPC corpora written by the real Hugging Face {@code datasets} and {@code pyarrow}, through
 * {@code src/test/python/write_corpora.py} (its docstring lists what it writes).
 */
final class ArrowCorpora {
  private static final Path SCRIPT = Path.of("src/test/python/write_corpora.py");

  private ArrowCorpora() {}

  /** Writes the corpora of {@code rows} (row i: text {@code doc-i}) under {@code out}. */
  static Path write(List<int[]> rows, Path out) {
    try {
      Files.createDirectories(out);
      Path tokens = out.resolve("tokens.json");
      new ObjectMapper().writeValue(tokens.toFile(), Map.of("rows", rows));
      HuggingFaceOracle.locate()
          .runPython(Files.readString(SCRIPT), tokens.toString(), out.toString());
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
