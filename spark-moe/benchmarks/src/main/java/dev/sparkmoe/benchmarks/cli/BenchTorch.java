package dev.sparkmoe.benchmarks.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmoe.core.IoErrors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * System (c) of {@code bench peer}: PyTorch on the CPU, running {@code peer_forward.py} (a plain
 * fp32 Mixtral forward on the same safetensors) with the given interpreter and thread count. The
 * script times its own forward, after its own warm-up; loading and conversion are not timed.
 */
final class BenchTorch {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long TIMEOUT_MINUTES = 60;
  private static final int LOG_TAIL_CHARS = 3000;

  private BenchTorch() {}

  static BenchResult run(
      BenchWorkload workload, Path python, Path script, int threads, int repeats, Path work) {
    try {
      Path dir = Files.createDirectories(work.resolve("peer"));
      Path rows = dir.resolve("rows.json");
      Path out = dir.resolve("torch-embeddings.f32");
      Path log = dir.resolve("torch.log");
      Files.writeString(rows, rowsJson(workload));
      List<String> command =
          List.of(
              python.toString(),
              script.toString(),
              "--model",
              workload.modelDir().toString(),
              "--rows",
              rows.toString(),
              "--out",
              out.toString(),
              "--threads",
              Integer.toString(threads),
              "--batch-tokens",
              Integer.toString(workload.batchTokens()),
              "--repeat",
              Integer.toString(repeats));
      JsonNode summary = execute(command, log);
      return new BenchResult(
          "pytorch " + summary.path("torch").asText("?"),
          JSON.treeToValue(summary.path("forward_seconds"), double[].class),
          read(out, workload.rows().size(), workload.config().hiddenSize()));
    } catch (IOException e) {
      throw IoErrors.cannot("run the PyTorch peer " + script + " in " + work, e);
    }
  }

  private static String rowsJson(BenchWorkload workload) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.set("rows", JSON.valueToTree(workload.rows()));
    root.set("warmup", JSON.valueToTree(workload.warmup()));
    return JSON.writeValueAsString(root);
  }

  /** Runs the script, output to {@code log}; returns its last line, a JSON summary. */
  private static JsonNode execute(List<String> command, Path log) throws IOException {
    Process process =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      if (!process.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
        process.destroyForcibly();
        throw new IllegalStateException(
            "Cannot run the PyTorch peer: no result after " + TIMEOUT_MINUTES + " minutes");
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Cannot run the PyTorch peer: interrupted", e);
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    if (process.exitValue() != 0) {
      throw new IllegalStateException(
          String.format(
              "Cannot run the PyTorch peer: %s exited with %d; output ends:%n%s",
              String.join(" ", command), process.exitValue(), tail(output)));
    }
    String[] lines = output.strip().split("\n");
    return JSON.readTree(lines[lines.length - 1]);
  }

  private static float[][] read(Path file, int rows, int hidden) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    if (bytes.remaining() != 4L * rows * hidden) {
      throw new IllegalStateException(
          String.format(
              "Invalid PyTorch output %s: %d bytes (expected: %d rows x %d floats)",
              file, bytes.remaining(), rows, hidden));
    }
    FloatBuffer floats = bytes.asFloatBuffer();
    float[][] out = new float[rows][hidden];
    for (float[] row : out) {
      floats.get(row);
    }
    return out;
  }

  private static String tail(String output) {
    return output.length() <= LOG_TAIL_CHARS
        ? output
        : output.substring(output.length() - LOG_TAIL_CHARS);
  }
}
