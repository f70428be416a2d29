package dev.sparkmoe.benchmarks.cli;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Finds the repository checkout that holds the PyTorch peer script and the Python environment: the
 * system property {@code moe.root} if set, else the nearest ancestor of the working directory or of
 * this jar that has {@link #SCRIPT}.
 */
final class BenchRepository {
  static final String SCRIPT = "spark-moe/benchmarks/src/main/python/peer_forward.py";
  static final String PYTHON = ".venv/bin/python";

  private BenchRepository() {}

  static Optional<Path> root() {
    List<Path> starts = new ArrayList<>();
    String configured = System.getProperty("moe.root", "");
    if (!configured.isBlank()) {
      starts.add(Paths.get(configured));
    }
    starts.add(Paths.get("").toAbsolutePath());
    codeLocation().ifPresent(starts::add);
    for (Path start : starts) {
      for (Path dir = start.toAbsolutePath(); dir != null; dir = dir.getParent()) {
        if (Files.isRegularFile(dir.resolve(SCRIPT))) {
          return Optional.of(dir);
        }
      }
    }
    return Optional.empty();
  }

  private static Optional<Path> codeLocation() {
    try {
      var source = BenchRepository.class.getProtectionDomain().getCodeSource();
      return source == null
          ? Optional.empty()
          : Optional.of(Paths.get(source.getLocation().toURI()));
    } catch (URISyntaxException | SecurityException e) {
      return Optional.empty();
    }
  }
}
