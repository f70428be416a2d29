package dev.sparkmoe.dist.notebook;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a notebook platform gives a notebook, for the runner: widget values ({@code
 * dbutils.widgets}, SQL {@code CREATE WIDGET}) with the test's overrides, and the HTML a notebook
 * displays ({@code displayHTML}, Toree's {@code kernel.display.html}). Static because interpreted
 * notebook code reaches it by class name; {@link #reset} before each notebook.
 */
public final class NotebookHost {
  private static final Map<String, String> OVERRIDES = new LinkedHashMap<>();
  private static final Map<String, String> WIDGETS = new LinkedHashMap<>();
  private static final List<String> HTML = new ArrayList<>();

  private NotebookHost() {}

  /** Forgets everything, and sets the values that widgets take instead of their defaults. */
  public static synchronized void reset(Map<String, String> overrides) {
    OVERRIDES.clear();
    OVERRIDES.putAll(overrides);
    WIDGETS.clear();
    HTML.clear();
  }

  /** Declares a text widget: its value is the override, else the default. Returns the value. */
  public static synchronized String widget(String name, String defaultValue) {
    return WIDGETS.computeIfAbsent(name, n -> OVERRIDES.getOrDefault(n, defaultValue));
  }

  public static synchronized String widgetValue(String name) {
    String value = WIDGETS.get(name);
    if (value == null) {
      throw new IllegalArgumentException(
          "Cannot get widget " + name + ": not declared (widgets: " + WIDGETS.keySet() + ")");
    }
    return value;
  }

  public static synchronized void html(String html) {
    HTML.add(html);
  }

  public static synchronized List<String> displayedHtml() {
    return List.copyOf(HTML);
  }
}
