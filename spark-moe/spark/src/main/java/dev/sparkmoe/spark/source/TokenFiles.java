package dev.sparkmoe.spark.source;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkmoe.core.IoErrors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The Arrow IPC files of a corpus, in order: one file; a Hugging Face {@code datasets} folder (the
 * files its {@code state.json} lists, in that order); a {@code DatasetDict} folder's split; or the
 * Arrow files of a folder, by name.
 */
final class TokenFiles {
  private static final List<String> EXTENSIONS = List.of(".arrow", ".arrows", ".ipc", ".feather");
  private static final ObjectMapper JSON = new ObjectMapper();

  private TokenFiles() {}

  static List<Path> list(Path path, String split) {
    if (Files.isRegularFile(path)) {
      if (split != null) {
        throw new IllegalArgumentException(
            String.format(
                "Invalid %s of %s: %s (expected: no split: the path is a file)",
                ArrowTokensOptions.SPLIT, path, split));
      }
      return List.of(path);
    }
    if (!Files.isDirectory(path)) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot read %s with format %s: no such file or folder",
              path, ArrowTokensSource.NAME));
    }
    Path folder = splitFolder(path, split);
    Path state = folder.resolve("state.json");
    List<Path> files = Files.isRegularFile(state) ? fromState(state) : byName(folder);
    if (files.isEmpty()) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot read %s with format %s: the folder has no Arrow IPC files (expected: %s)",
              folder, ArrowTokensSource.NAME, String.join(", ", EXTENSIONS)));
    }
    return files;
  }

  /** The split's folder of a {@code DatasetDict} ({@code dataset_dict.json} lists the splits). */
  private static Path splitFolder(Path path, String split) {
    Path dict = path.resolve("dataset_dict.json");
    boolean isDict = Files.isRegularFile(dict);
    if (split == null && !isDict) {
      return path;
    }
    List<String> splits = isDict ? splits(dict) : List.of();
    if (split == null || !splits.contains(split)) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid %s of %s: %s (expected: %s)",
              ArrowTokensOptions.SPLIT,
              path,
              split == null ? "none given" : split,
              splits.isEmpty()
                  ? "no split: the folder is not a DatasetDict"
                  : "one of "
                      + String.join(", ", splits)
                      + ", e.g. option(\"split\", \""
                      + splits.get(0)
                      + "\")"));
    }
    return path.resolve(split);
  }

  private static List<String> splits(Path dict) {
    List<String> splits = new ArrayList<>();
    for (JsonNode split : read(dict).path("splits")) {
      splits.add(split.asText());
    }
    return splits;
  }

  private static List<Path> fromState(Path state) {
    List<Path> files = new ArrayList<>();
    for (JsonNode entry : read(state).path("_data_files")) {
      String name = entry.path("filename").asText("");
      Path file = state.resolveSibling(name).normalize();
      if (name.isEmpty() || !file.getParent().equals(state.getParent().normalize())) {
        throw new IllegalArgumentException(
            String.format(
                "Cannot read %s: invalid _data_files entry %s (expected: a file name in the folder)",
                state, entry));
      }
      files.add(file);
    }
    return files;
  }

  private static List<Path> byName(Path folder) {
    try (Stream<Path> entries = Files.list(folder)) {
      return entries.filter(Files::isRegularFile).filter(TokenFiles::isArrowFile).sorted().toList();
    } catch (IOException e) {
      throw IoErrors.cannot("list " + folder, e);
    }
  }

  private static boolean isArrowFile(Path file) {
    String name = file.getFileName().toString();
    String lower = name.toLowerCase(Locale.ROOT);
    return !name.startsWith(".")
        && !name.startsWith("_")
        && EXTENSIONS.stream().anyMatch(lower::endsWith);
  }

  private static JsonNode read(Path file) {
    try {
      return JSON.readTree(file.toFile());
    } catch (JacksonException e) {
      throw new IllegalArgumentException(
          String.format("Cannot read %s: not valid JSON (%s)", file, e.getOriginalMessage()), e);
    } catch (IOException e) {
      throw IoErrors.cannot("read " + file, e);
    }
  }
}
