package dev.sparkmoe.core.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.sparkmoe.core.InvalidModelException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Parses the JSON of model files — safetensors headers, shard indexes, {@code config.json} — as the
 * untrusted data it is: strictly UTF-8 (Jackson would otherwise guess UTF-16 or UTF-32 from the
 * first bytes and fail outside its documented exceptions), into a tree of plain values (never a
 * Java object chosen by the input), with error descriptions of one printable line that never echo
 * the input's raw bytes. Stateless and thread-safe.
 */
public final class ModelJson {
  /** Jackson's own location suffixes, which would quote the input. */
  private static final Pattern SOURCE_REFERENCE =
      Pattern.compile("\\s*\\([^()]*\\[Source: [^\\]]*\\][^()]*\\)");

  private ModelJson() {}

  /** A mapper builder whose error locations never quote the input; callers add strictness. */
  public static JsonMapper.Builder mapper() {
    return JsonMapper.builder().disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION);
  }

  /**
   * The tree of {@code bytes}, or a {@link MissingNode} when they hold only white space.
   *
   * @param invalid makes the exception to throw from a one-line reason, such as {@code Unexpected
   *     character ('h' (code 104)): was expecting double-quote to start field name}
   * @throws E from {@code invalid} if the bytes are not UTF-8 JSON: an {@link
   *     InvalidModelException} for model files, an {@link IllegalArgumentException} for input
   */
  public static <E extends RuntimeException> JsonNode read(
      ObjectMapper mapper, byte[] bytes, Function<String, E> invalid) {
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      throw withCause(invalid.apply("not UTF-8 text"), e);
    }
    try {
      JsonNode root = mapper.readTree(text);
      return root == null ? MissingNode.getInstance() : root;
    } catch (JsonProcessingException e) {
      throw withCause(invalid.apply(describe(e)), e);
    }
  }

  /** Jackson's message without the location, which may quote the input, on one printable line. */
  static String describe(JsonProcessingException e) {
    String message = e.getOriginalMessage() == null ? e.toString() : e.getOriginalMessage();
    return Printable.of(SOURCE_REFERENCE.matcher(message).replaceAll(""));
  }

  private static <E extends RuntimeException> E withCause(E error, Exception cause) {
    if (error.getCause() == null) {
      error.initCause(cause);
    }
    return error;
  }
}
