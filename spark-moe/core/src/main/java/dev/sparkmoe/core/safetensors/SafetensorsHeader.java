package dev.sparkmoe.core.safetensors;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkmoe.core.InvalidModelException;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The validated header of one safetensors file.
 *
 * @param dataStart the file position of the data section, which the tensor offsets are relative to
 * @param metadata the {@code __metadata__} entries, in header order
 * @param tensors the tensors in the order of their data
 */
record SafetensorsHeader(long dataStart, Map<String, String> metadata, List<TensorInfo> tensors) {
  static final int LENGTH_PREFIX_BYTES = 8;
  static final long MAX_HEADER_BYTES = 100_000_000L;
  static final String METADATA_KEY = "__metadata__";

  private static final List<String> TENSOR_KEYS = List.of("dtype", "shape", "data_offsets");
  // Duplicate keys are an error (a tensor listed twice), as is anything after the object.
  static final ObjectMapper STRICT_JSON =
      ModelJson.mapper()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  /**
   * Reads and validates the header of {@code file}, reading only the header's bytes.
   *
   * @throws InvalidModelException if the header or the layout of the data section is invalid
   */
  static SafetensorsHeader read(FileChannel channel, Path file) throws IOException {
    long fileSize = channel.size();
    int headerLength = headerLength(channel, file, fileSize);
    JsonNode root = parse(readFully(channel, file, LENGTH_PREFIX_BYTES, headerLength), file);
    long dataStart = (long) LENGTH_PREFIX_BYTES + headerLength;
    Map<String, String> metadata = Map.of();
    List<TensorInfo> tensors = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      if (METADATA_KEY.equals(entry.getKey())) {
        metadata = metadata(entry.getValue(), file);
      } else {
        tensors.add(tensor(entry.getKey(), entry.getValue(), file));
      }
    }
    List<TensorInfo> inDataOrder = inDataOrder(tensors, fileSize - dataStart, file);
    return new SafetensorsHeader(dataStart, metadata, inDataOrder);
  }

  private static int headerLength(FileChannel channel, Path file, long fileSize)
      throws IOException {
    if (fileSize < LENGTH_PREFIX_BYTES) {
      throw invalid(
          file, String.format("file size %d is smaller than the 8-byte header length", fileSize));
    }
    byte[] prefix = readFully(channel, file, 0, LENGTH_PREFIX_BYTES);
    long length = ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN).getLong(); // unsigned
    if (Long.compareUnsigned(length, fileSize - LENGTH_PREFIX_BYTES) > 0) {
      throw invalid(
          file,
          String.format(
              "header length %s exceeds the file size %d (expected: at most %d)",
              Long.toUnsignedString(length), fileSize, fileSize - LENGTH_PREFIX_BYTES));
    }
    if (length < 2 || length > MAX_HEADER_BYTES) {
      throw invalid(
          file,
          String.format(
              "invalid header length %d (expected: 2 <= length <= %d)", length, MAX_HEADER_BYTES));
    }
    return (int) length;
  }

  private static byte[] readFully(FileChannel channel, Path file, long position, int length)
      throws IOException {
    byte[] bytes = new byte[length];
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    while (buffer.hasRemaining()) {
      if (channel.read(buffer, position + buffer.position()) < 0) {
        throw new EOFException(
            "Cannot read " + file + ": file ended at byte " + (position + buffer.position()));
      }
    }
    return bytes;
  }

  private static JsonNode parse(byte[] header, Path file) {
    JsonNode root =
        ModelJson.read(
            STRICT_JSON, header, reason -> invalid(file, "header is not valid JSON: " + reason));
    if (!root.isObject()) {
      throw invalid(
          file, String.format("header is not a JSON object (found: %s)", root.getNodeType()));
    }
    return root;
  }

  private static Map<String, String> metadata(JsonNode node, Path file) {
    if (!node.isObject()) {
      throw invalid(
          file,
          String.format("%s is not a JSON object (found: %s)", METADATA_KEY, node.getNodeType()));
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      if (!entry.getValue().isTextual()) {
        throw invalid(
            file,
            String.format(
                "%s value of key %s is not a string (found: %s)",
                METADATA_KEY, Printable.of(entry.getKey()), entry.getValue().getNodeType()));
      }
      metadata.put(entry.getKey(), entry.getValue().textValue());
    }
    return Collections.unmodifiableMap(metadata);
  }

  private static TensorInfo tensor(String name, JsonNode node, Path file) {
    if (!node.isObject()) {
      throw invalid(
          name, file, String.format("entry is not a JSON object (found: %s)", node.getNodeType()));
    }
    for (Iterator<String> keys = node.fieldNames(); keys.hasNext(); ) {
      String key = keys.next();
      if (!TENSOR_KEYS.contains(key)) {
        throw invalid(
            name,
            file,
            String.format("unknown key %s (expected: one of %s)", Printable.of(key), TENSOR_KEYS));
      }
    }
    JsonNode dtypeName = required(node, "dtype", name, file);
    DType dtype =
        DType.fromName(
            dtypeName.isTextual() ? dtypeName.textValue() : dtypeName.toString(), name, file);
    List<Long> shape = naturals(required(node, "shape", name, file), "shape", name, file);
    List<Long> offsets =
        naturals(required(node, "data_offsets", name, file), "data_offsets", name, file);
    if (offsets.size() != 2) {
      throw invalid(
          name, file, String.format("invalid data_offsets %s (expected: [begin, end])", offsets));
    }
    return checkedTensor(name, dtype, shape, offsets.get(0), offsets.get(1), file);
  }

  private static JsonNode required(JsonNode node, String key, String name, Path file) {
    JsonNode value = node.get(key);
    if (value == null) {
      throw invalid(name, file, "missing " + key);
    }
    return value;
  }

  private static List<Long> naturals(JsonNode node, String key, String name, Path file) {
    if (!node.isArray()) {
      throw invalidNaturals(node, key, name, file);
    }
    List<Long> values = new ArrayList<>();
    for (JsonNode element : node) {
      if (!element.isIntegralNumber() || !element.canConvertToLong() || element.longValue() < 0) {
        throw invalidNaturals(node, key, name, file);
      }
      values.add(element.longValue());
    }
    return values;
  }

  private static InvalidModelException invalidNaturals(
      JsonNode node, String key, String name, Path file) {
    return invalid(
        name,
        file,
        String.format(
            "invalid %s %s (expected: an array of non-negative integers)",
            key, Printable.of(node.toString())));
  }

  private static TensorInfo checkedTensor(
      String name, DType dtype, List<Long> shape, long begin, long end, Path file) {
    if (begin > end) {
      throw invalid(
          name, file, String.format("data_offsets [%d, %d] end before they begin", begin, end));
    }
    long sizeBytes;
    try {
      sizeBytes = Math.multiplyExact(TensorInfo.elementCount(shape), dtype.sizeBytes());
    } catch (ArithmeticException e) {
      throw invalid(
          name,
          file,
          String.format(
              "shape %s of %s has more bytes than fit in a long",
              Printable.of(shape.toString()), dtype));
    }
    if (end - begin != sizeBytes) {
      throw invalid(
          name,
          file,
          String.format(
              "data_offsets [%d, %d] hold %d bytes but shape %s of %s needs %d",
              begin, end, end - begin, shape, dtype, sizeBytes));
    }
    return new TensorInfo(name, dtype, shape, begin, end);
  }

  private static List<TensorInfo> inDataOrder(List<TensorInfo> tensors, long dataSize, Path file) {
    List<TensorInfo> sorted = new ArrayList<>(tensors);
    sorted.sort(
        Comparator.comparingLong(TensorInfo::beginOffset).thenComparingLong(TensorInfo::endOffset));
    TensorInfo previous = null;
    for (TensorInfo tensor : sorted) {
      checkPlacement(tensor, previous, dataSize, file);
      previous = tensor;
    }
    long end = previous == null ? 0 : previous.endOffset();
    if (end != dataSize) {
      throw invalid(
          file,
          String.format(
              "data section has %d bytes after the last tensor ending at %d", dataSize - end, end));
    }
    return List.copyOf(sorted);
  }

  private static void checkPlacement(
      TensorInfo tensor, TensorInfo previous, long dataSize, Path file) {
    long begin = tensor.beginOffset();
    long end = tensor.endOffset();
    long previousEnd = previous == null ? 0 : previous.endOffset();
    if (end > dataSize) {
      throw invalid(
          tensor.name(),
          file,
          String.format(
              "data_offsets [%d, %d] extend past the end of the data section of %d bytes",
              begin, end, dataSize));
    }
    if (begin < previousEnd) {
      throw invalid(
          tensor.name(),
          file,
          String.format(
              "data_offsets [%d, %d] overlap the previous tensor ending at %d",
              begin, end, previousEnd));
    }
    if (begin > previousEnd) {
      String where =
          previous == null
              ? "at the start of the data section"
              : "after the previous tensor ending at " + previousEnd;
      throw invalid(
          tensor.name(),
          file,
          String.format("data_offsets [%d, %d] leave a hole %s", begin, end, where));
    }
  }

  private static InvalidModelException invalid(Path file, String problem) {
    return new InvalidModelException("Cannot read " + file + ": " + problem);
  }

  private static InvalidModelException invalid(String tensor, Path file, String problem) {
    return new InvalidModelException(
        "Cannot read tensor " + Printable.of(tensor) + " in " + file + ": " + problem);
  }
}
