package dev.sparkmoe.core.oracle;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Hugging Face {@code transformers} as the independent oracle of the parity tests: runs {@code
 * spark-moe/core/src/test/python/hf_reference.py} (the family's *ForCausalLM, fp32, eager
 * attention) on a checkpoint directory, or {@code hf_generate.py}, which writes small checkpoints
 * of every family with the real {@code transformers} classes and runs the oracle on them, through
 * the repository's Python environment.
 *
 * <p>A missing environment is a test failure, not a skip: the Maven build creates it with {@code
 * ensure-venv.sh} before the tests run. Every failure of the script is an {@link AssertionError}
 * whose message carries the tail of the script's output.
 *
 * <p>Thread-safe: each call runs its own process with its own temporary files.
 */
public final class HuggingFaceOracle {
  static final String SCRIPT = "spark-moe/core/src/test/python/hf_reference.py";
  static final Duration TIMEOUT = Duration.ofMinutes(10);
  private static final int OUTPUT_TAIL_CHARS = 4000;
  // Python's json writes NaN and Infinity as bare words; read them so a NaN reaches the assertion.
  private static final ObjectMapper JSON =
      JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

  private final Path python;
  private final Path script;

  private HuggingFaceOracle(Path python, Path script) {
    this.python = python;
    this.script = script;
  }

  /**
   * Finds the interpreter: system property {@code moe.python} if set, else {@code
   * ${moe.root}/.venv/bin/python}, where {@code moe.root} (set by surefire) defaults to the nearest
   * ancestor of the working directory that holds {@code .ci} or the oracle script.
   *
   * @throws AssertionError if the interpreter or the script is not there
   */
  public static HuggingFaceOracle locate() {
    Path root = repositoryRoot();
    String configured = System.getProperty("moe.python", "");
    Path python = configured.isBlank() ? root.resolve(".venv/bin/python") : Paths.get(configured);
    if (!Files.isExecutable(python)) {
      throw new AssertionError(
          "Python oracle not found at "
              + python
              + ": run spark-moe/core/src/test/python/ensure-venv.sh .venv from the repository root"
              + " (the Maven build does it in process-test-resources)");
    }
    Path script = root.resolve(SCRIPT);
    if (!Files.isRegularFile(script)) {
      throw new AssertionError(
          "Cannot find the Hugging Face oracle script: " + script + " is not a file");
    }
    return new HuggingFaceOracle(python, script);
  }

  private static Path repositoryRoot() {
    String root = System.getProperty("moe.root", "");
    if (!root.isBlank()) {
      return Paths.get(root).toAbsolutePath();
    }
    Path start = Paths.get("").toAbsolutePath();
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve(".ci")) || Files.isRegularFile(dir.resolve(SCRIPT))) {
        return dir;
      }
    }
    throw new AssertionError(
        "Cannot find the repository root: no ancestor of "
            + start
            + " holds .ci or "
            + SCRIPT
            + " (set -Dmoe.root=<repository root>)");
  }

  /** The interpreter this oracle runs. */
  public Path python() {
    return python;
  }

  /**
   * Runs each row alone through the checkpoint in {@code modelDir}; {@link OracleRow#hidden()} is
   * {@code null}.
   */
  public List<OracleRow> run(Path modelDir, List<int[]> rows) {
    return execute(modelDir, rows, List.of());
  }

  /** As {@link #run}, and also returns the final-normalized hidden state of every position. */
  public List<OracleRow> runWithHidden(Path modelDir, List<int[]> rows) {
    return execute(modelDir, rows, List.of("--hidden"));
  }

  /**
   * A checkpoint written by {@code hf_generate.py} with a {@code transformers} class, and what
   * {@code transformers} computes on it.
   *
   * @param name the generator's model name, e.g. {@code qwen2_moe-f32}
   * @param directory the checkpoint: config.json and model.safetensors
   * @param rows the oracle's output for each input row
   */
  public record GeneratedModel(String name, Path directory, List<OracleRow> rows) {}

  /**
   * Writes the named models of {@code hf_generate.py} (random weights from {@code seed}) under
   * {@code outDir}, runs each row alone through each of them with {@code transformers}, and returns
   * them in the order asked. One Python process serves all of them.
   *
   * @throws AssertionError if the script fails
   */
  public List<GeneratedModel> generate(
      Path outDir, long seed, List<int[]> rows, List<String> models) {
    checkRows(rows);
    Path work = createTempDirectory();
    try {
      Path rowsFile = work.resolve("rows.json");
      JSON.writeValue(rowsFile.toFile(), Map.of("rows", rows));
      List<String> command =
          new ArrayList<>(
              List.of(
                  python.toString(),
                  script.resolveSibling("hf_generate.py").toString(),
                  "--out",
                  outDir.toAbsolutePath().toString(),
                  "--seed",
                  Long.toString(seed),
                  "--rows",
                  rowsFile.toString()));
      command.addAll(models);
      runProcess(command, work.resolve("output.txt"), "the Hugging Face generator on " + models);
      List<GeneratedModel> generated = new ArrayList<>();
      for (String name : models) {
        Path dir = outDir.resolve(name);
        generated.add(
            new GeneratedModel(
                name, dir, parse(JSON.readTree(dir.resolve("oracle.json").toFile()), rows.size())));
      }
      return List.copyOf(generated);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      deleteRecursively(work);
    }
  }

  /**
   * A BPE tokenizer trained and saved by the Python {@code tokenizers} library ({@code
   * tokenizer_reference.py}), and what that library makes of some texts.
   *
   * @param directory the folder that holds the {@code tokenizer.json}
   * @param ids {@code Tokenizer.encode(text).ids} of each text (special tokens added)
   * @param decoded {@code Tokenizer.decode(ids)} of each text's ids (special tokens skipped)
   * @param vocabSize the tokenizer's vocabulary, added tokens included
   */
  public record TokenizerReference(
      Path directory, List<int[]> ids, List<String> decoded, int vocabSize) {}

  /**
   * Trains a BPE tokenizer of {@code style} ({@code bytelevel} or {@code metaspace}) with at most
   * {@code vocabSize} tokens, saves it under {@code outDir} and encodes and decodes {@code texts}
   * with it, all in Python {@code tokenizers}.
   *
   * @throws AssertionError if the script fails
   */
  public TokenizerReference tokenizer(
      Path outDir, String style, int vocabSize, List<String> texts) {
    Path work = createTempDirectory();
    try {
      Path textsFile = work.resolve("texts.json");
      Path outFile = work.resolve("out.json");
      JSON.writeValue(textsFile.toFile(), texts);
      List<String> command =
          List.of(
              python.toString(),
              script.resolveSibling("tokenizer_reference.py").toString(),
              outDir.toAbsolutePath().toString(),
              style,
              Integer.toString(vocabSize),
              textsFile.toString(),
              outFile.toString());
      runProcess(command, work.resolve("output.txt"), "Python tokenizers (" + style + ")");
      JsonNode out = JSON.readTree(outFile.toFile());
      List<int[]> ids = new ArrayList<>();
      for (JsonNode row : out.path("ids")) {
        int[] values = new int[row.size()];
        for (int i = 0; i < values.length; i++) {
          values[i] = row.get(i).asInt();
        }
        ids.add(values);
      }
      List<String> decoded = new ArrayList<>();
      out.path("decoded").forEach(text -> decoded.add(text.asText()));
      return new TokenizerReference(
          outDir.toAbsolutePath(),
          List.copyOf(ids),
          List.copyOf(decoded),
          out.path("vocab_size").asInt());

    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      deleteRecursively(work);
    }
  }

  /**
   * One row of {@code transformers}' greedy generation.
   *
   * @param tokens the new tokens
   * @param logprobs each one's log-probability under the step's unmodified distribution
   * @param gaps the difference of the step's two best log-probabilities
   */
  public record GreedyRow(int[] tokens, double[] logprobs, double[] gaps) {}

  /** {@code transformers}' greedy generation of each row, and the end-of-sequence ids it used. */
  public record Greedy(int[] eosTokenIds, List<GreedyRow> rows) {}

  /**
   * Runs each row alone through {@code model.generate(do_sample=False, max_new_tokens=N)} on each
   * checkpoint of {@code modelDirs} ({@code hf_greedy.py}, one Python process); the results in the
   * order of the directories.
   */
  public List<Greedy> greedy(List<Path> modelDirs, List<int[]> rows, int maxNewTokens) {
    for (Path dir : modelDirs) {
      checkArguments(dir, rows);
    }
    Path work = createTempDirectory();
    try {
      Path rowsFile = work.resolve("rows.json");
      Path outFile = work.resolve("out.json");
      JSON.writeValue(rowsFile.toFile(), Map.of("rows", rows));
      List<String> command =
          new ArrayList<>(
              List.of(
                  python.toString(),
                  script.resolveSibling("hf_greedy.py").toString(),
                  "--rows",
                  rowsFile.toString(),
                  "--max-new-tokens",
                  Integer.toString(maxNewTokens),
                  "--out",
                  outFile.toString()));
      modelDirs.forEach(d -> command.add(d.toAbsolutePath().toString()));
      runProcess(command, work.resolve("output.txt"), "transformers generate on " + modelDirs);
      List<Greedy> models = new ArrayList<>();
      for (JsonNode model : JSON.readTree(outFile.toFile()).path("models")) {
        models.add(greedy(model));
      }
      return List.copyOf(models);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      deleteRecursively(work);
    }
  }

  private static Greedy greedy(JsonNode model) {
    List<GreedyRow> result = new ArrayList<>();
    for (JsonNode row : model.path("rows")) {
      result.add(
          new GreedyRow(
              ints(row.path("tokens")), doubles(row.path("logprobs")), doubles(row.path("gaps"))));
    }
    JsonNode eos = model.path("eos_token_id");
    int[] eosIds =
        eos.isNull() || eos.isMissingNode()
            ? new int[0]
            : eos.isArray() ? ints(eos) : new int[] {eos.asInt()};
    return new Greedy(eosIds, List.copyOf(result));
  }

  private static int[] ints(JsonNode values) {
    int[] array = new int[values.size()];
    for (int i = 0; i < array.length; i++) {
      array[i] = values.get(i).asInt();
    }
    return array;
  }

  private static double[] doubles(JsonNode values) {
    double[] array = new double[values.size()];
    for (int i = 0; i < array.length; i++) {
      array[i] = values.get(i).asDouble();
    }
    return array;
  }

  /**
   * Runs a Python program with the oracle's interpreter, for test fixtures (for example to write a
   * checkpoint with {@code safetensors.numpy}).
   *
   * @throws AssertionError if it exits non-zero or runs past the timeout
   */
  public void runPython(String source, String... args) {
    Path work = createTempDirectory();
    try {
      Path program = work.resolve("snippet.py");
      Files.writeString(program, source, StandardCharsets.UTF_8);
      List<String> command = new ArrayList<>(List.of(python.toString(), program.toString()));
      command.addAll(List.of(args));
      runProcess(command, work.resolve("output.txt"), "a Python snippet");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      deleteRecursively(work);
    }
  }

  private List<OracleRow> execute(Path modelDir, List<int[]> rows, List<String> flags) {
    checkArguments(modelDir, rows);
    Path work = createTempDirectory();
    try {
      Path rowsFile = work.resolve("rows.json");
      Path outFile = work.resolve("out.json");
      JSON.writeValue(rowsFile.toFile(), Map.of("rows", rows));
      List<String> command =
          new ArrayList<>(
              List.of(
                  python.toString(),
                  script.toString(),
                  "--model",
                  modelDir.toAbsolutePath().toString(),
                  "--rows",
                  rowsFile.toString(),
                  "--out",
                  outFile.toString()));
      command.addAll(flags);
      runProcess(command, work.resolve("output.txt"), "Hugging Face oracle on " + modelDir);
      return parse(JSON.readTree(outFile.toFile()), rows.size());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      deleteRecursively(work);
    }
  }

  private static void checkArguments(Path modelDir, List<int[]> rows) {
    if (!Files.isRegularFile(modelDir.resolve("config.json"))) {
      throw new IllegalArgumentException(
          "Invalid model directory: " + modelDir + " (expected: a directory with config.json)");
    }
    checkRows(rows);
  }

  private static void checkRows(List<int[]> rows) {
    if (rows.isEmpty()) {
      throw new IllegalArgumentException("Invalid rows: none (expected: at least one row)");
    }
    for (int r = 0; r < rows.size(); r++) {
      if (rows.get(r).length == 0) {
        throw new IllegalArgumentException(
            "Invalid row " + r + ": no tokens (expected: at least one)");
      }
    }
  }

  private void runProcess(List<String> command, Path output, String what) throws IOException {
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
    Map<String, String> env = builder.environment();
    env.put("OPENBLAS_NUM_THREADS", "2");
    env.put("OMP_NUM_THREADS", "2");
    env.put("MKL_NUM_THREADS", "2");
    env.put("HF_HUB_OFFLINE", "1");
    env.put("TRANSFORMERS_OFFLINE", "1");
    Process process = builder.start();
    try {
      if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new AssertionError(
            "Cannot run " + what + ": no result after " + TIMEOUT + tail(output));
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new AssertionError("Cannot run " + what + ": interrupted", e);
    }
    if (process.exitValue() != 0) {
      throw new AssertionError(
          "Cannot run "
              + what
              + ": "
              + python
              + " exited with "
              + process.exitValue()
              + tail(output));
    }
  }

  private static String tail(Path output) throws IOException {
    String text = Files.readString(output, StandardCharsets.UTF_8).strip();
    String tail =
        text.length() <= OUTPUT_TAIL_CHARS
            ? text
            : "..." + text.substring(text.length() - OUTPUT_TAIL_CHARS);
    return "; output:\n" + tail;
  }

  private static List<OracleRow> parse(JsonNode out, int expectedRows) {
    JsonNode rows = out.path("rows");
    if (rows.size() != expectedRows) {
      throw new AssertionError(
          "Invalid oracle output: " + rows.size() + " rows (expected: " + expectedRows + ")");
    }
    List<OracleRow> result = new ArrayList<>(expectedRows);
    for (JsonNode row : rows) {
      JsonNode hidden = row.get("hidden");
      result.add(
          new OracleRow(
              row.path("num_tokens").asInt(),
              floats(row.path("embedding")),
              row.path("next_token").asInt(),
              row.path("logprob").asDouble(),
              row.path("score").asDouble(),
              hidden == null ? null : matrix(hidden)));
    }
    return List.copyOf(result);
  }

  private static float[][] matrix(JsonNode rows) {
    float[][] matrix = new float[rows.size()][];
    for (int i = 0; i < matrix.length; i++) {
      matrix[i] = floats(rows.get(i));
    }
    return matrix;
  }

  private static float[] floats(JsonNode values) {
    float[] array = new float[values.size()];
    for (int i = 0; i < array.length; i++) {
      array[i] = values.get(i).floatValue();
    }
    return array;
  }

  private static Path createTempDirectory() {
    try {
      return Files.createTempDirectory("hf-oracle-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Best effort: a failure to clean up a temporary directory must not hide the test's result. */
  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException | UncheckedIOException e) {
      // Left in the temporary directory; the operating system reclaims it.
    }
  }
}
