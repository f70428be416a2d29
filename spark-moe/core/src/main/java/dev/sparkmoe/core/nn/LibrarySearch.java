package dev.sparkmoe.core.nn;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds a shared library where the Linux dynamic loader would, so that spark-moe can tell whether
 * {@code dlopen("libblas.so.3")} will succeed before netlib tries it (netlib tries once per JVM):
 * the directories of {@code LD_LIBRARY_PATH}, the paths {@code /etc/ld.so.cache} lists, then the
 * default directories. A dangling link (the library hidden or uninstalled) is not a hit.
 */
final class LibrarySearch {
  private static final Path LD_CACHE = Path.of("/etc/ld.so.cache");
  private static final List<Path> DEFAULT_DIRS =
      Stream.of(
              "/lib/x86_64-linux-gnu",
              "/usr/lib/x86_64-linux-gnu",
              "/lib/aarch64-linux-gnu",
              "/usr/lib/aarch64-linux-gnu",
              "/lib64",
              "/usr/lib64",
              "/lib",
              "/usr/lib")
          .map(Path::of)
          .toList();

  private LibrarySearch() {}

  /** The library's real path, where this JVM's loader would find one named {@code fileName}. */
  static Optional<Path> find(String fileName) {
    return find(fileName, System.getenv("LD_LIBRARY_PATH"), cacheEntries(LD_CACHE), DEFAULT_DIRS);
  }

  /**
   * @param ldLibraryPath colon-separated directories, or null
   * @param cached library paths from the loader's cache
   */
  static Optional<Path> find(
      String fileName, String ldLibraryPath, List<Path> cached, List<Path> defaultDirs) {
    Stream<Path> fromEnvironment = directories(ldLibraryPath).map(dir -> dir.resolve(fileName));
    Stream<Path> fromCache =
        cached.stream().filter(path -> path.getFileName().toString().equals(fileName));
    Stream<Path> fromDefaults = defaultDirs.stream().map(dir -> dir.resolve(fileName));
    return Stream.of(fromEnvironment, fromCache, fromDefaults)
        .flatMap(paths -> paths)
        .filter(Files::isRegularFile)
        .findFirst()
        .map(LibrarySearch::realPath);
  }

  /**
   * The absolute paths a {@code ld.so.cache} file holds (its strings), empty where it is absent.
   */
  static List<Path> cacheEntries(Path cache) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(cache);
    } catch (IOException e) {
      return List.of();
    }
    List<Path> paths = new ArrayList<>();
    int start = 0;
    for (int i = 0; i <= bytes.length; i++) {
      if (i == bytes.length || bytes[i] == 0) {
        if (i > start && bytes[start] == '/') {
          String path = new String(bytes, start, i - start, StandardCharsets.ISO_8859_1);
          if (path.length() > 1 && path.indexOf('/', 1) > 0) {
            paths.add(Path.of(path));
          }
        }
        start = i + 1;
      }
    }
    return paths;
  }

  private static Stream<Path> directories(String searchPath) {
    if (searchPath == null) {
      return Stream.empty();
    }
    return Stream.of(searchPath.split(":")).filter(dir -> !dir.isEmpty()).map(Path::of);
  }

  private static Path realPath(Path path) {
    try {
      return path.toRealPath();
    } catch (IOException e) {
      return path;
    }
  }
}
