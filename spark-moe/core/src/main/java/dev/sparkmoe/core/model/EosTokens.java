package dev.sparkmoe.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkmoe.core.InvalidModelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The model's end-of-sequence ids, as {@code transformers}' {@code generate} finds them: {@code
 * eos_token_id} of {@code generation_config.json} where that file has one, else of {@code
 * config.json}; an id or a list of ids, or absent (no end-of-sequence). Stateless.
 */
public final class EosTokens {
  private EosTokens() {}

  /** The ids in {@code modelDir}; empty if neither file names any. */
  public static int[] read(Path modelDir) {
    Path generation = modelDir.resolve("generation_config.json");
    if (Files.isRegularFile(generation)) {
      JsonNode ids = ModelConfigReader.readJson(generation).get("eos_token_id");
      if (ids != null && !ids.isNull()) {
        return parse(ids, generation);
      }
    }
    Path config = modelDir.resolve("config.json");
    JsonNode ids = ModelConfigReader.readJson(config).get("eos_token_id");
    return ids == null || ids.isNull() ? new int[0] : parse(ids, config);
  }

  private static int[] parse(JsonNode ids, Path file) {
    List<JsonNode> values = new ArrayList<>();
    if (ids.isArray()) {
      ids.forEach(values::add);
    } else {
      values.add(ids);
    }
    int[] out = new int[values.size()];
    for (int i = 0; i < out.length; i++) {
      JsonNode value = values.get(i);
      if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < 0) {
        throw new InvalidModelException(
            String.format(
                "Invalid eos_token_id in %s: %s (expected: a token id >= 0 or a list of them)",
                file, ids));
      }
      out[i] = value.intValue();
    }
    return out;
  }
}
