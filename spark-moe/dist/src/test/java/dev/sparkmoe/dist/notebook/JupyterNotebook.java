package dev.sparkmoe.dist.notebook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads a Jupyter notebook (nbformat 4): its kernel's language and its cells. */
public final class JupyterNotebook {
  private JupyterNotebook() {}

  /** The notebook's language, from {@code metadata.kernelspec.language}. */
  public static String language(Path file) throws IOException {
    return new ObjectMapper()
        .readTree(file.toFile())
        .path("metadata")
        .path("kernelspec")
        .path("language")
        .asText();
  }

  /** The index of the cell tagged {@code parameters} (papermill's convention), or -1. */
  public static int parametersCell(Path file) throws IOException {
    JsonNode cells = new ObjectMapper().readTree(file.toFile()).path("cells");
    for (int i = 0; i < cells.size(); i++) {
      for (JsonNode tag : cells.get(i).path("metadata").path("tags")) {
        if (tag.asText().equals("parameters")) {
          return i;
        }
      }
    }
    return -1;
  }

  public static List<Cell> read(Path file) throws IOException {
    JsonNode notebook = new ObjectMapper().readTree(file.toFile());
    if (notebook.path("nbformat").asInt() != 4) {
      throw new IllegalArgumentException(
          "Invalid notebook "
              + file
              + ": nbformat "
              + notebook.path("nbformat")
              + " (expected: 4)");
    }
    String language = language(file);
    List<Cell> cells = new ArrayList<>();
    for (JsonNode cell : notebook.path("cells")) {
      String type = cell.path("cell_type").asText();
      StringBuilder source = new StringBuilder();
      JsonNode text = cell.path("source");
      if (text.isArray()) {
        text.forEach(line -> source.append(line.asText()));
      } else {
        source.append(text.asText());
      }
      cells.add(new Cell(cells.size(), type.equals("code") ? language : "md", source.toString()));
    }
    return cells;
  }
}
