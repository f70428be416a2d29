package dev.sparkmoe.dist.notebook;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import scala.Option;
import scala.tools.nsc.Settings;
import scala.tools.nsc.interpreter.IMain;
import scala.tools.nsc.interpreter.Results;

/**
 * The Scala 2.12 interpreter that Spark's shell runs on ({@code spark-repl}), for notebook cells.
 * Classes it defines are written to a folder that a session started with {@code
 * spark.repl.class.outputDir} set to it serves to its executors, as spark-shell does.
 */
public final class ScalaInterpreter implements AutoCloseable {
  private final StringWriter output = new StringWriter();
  private final IMain interpreter;

  public ScalaInterpreter(Path classOutputDir) {
    Settings settings = new Settings();
    settings.processArgumentString("-usejavacp -Yrepl-class-based -Yrepl-outdir " + classOutputDir);
    interpreter = new IMain(settings, new PrintWriter(output, true));
  }

  /**
   * Runs {@code code} as one cell; fails with the interpreter's output when it does not compile,
   * throws, or is incomplete.
   */
  public void run(String label, String code) {
    int start = output.getBuffer().length();
    Results.Result result = interpreter.interpret(code);
    if (result != Results.Success$.MODULE$) {
      throw new AssertionError(
          label + " failed (" + result + "):\n" + output.getBuffer().substring(start));
    }
  }

  /** Everything the interpreter printed so far (results of cells, compiler messages). */
  public String output() {
    return output.toString();
  }

  /** The value of a term the cells defined. */
  public Object value(String name) {
    Option<Object> value = interpreter.valueOfTerm(name);
    if (value.isEmpty()) {
      throw new AssertionError("The notebook defined no value " + name);
    }
    return value.get();
  }

  @Override
  public void close() {
    interpreter.close();
  }
}
