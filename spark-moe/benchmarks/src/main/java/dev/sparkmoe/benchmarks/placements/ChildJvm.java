package dev.sparkmoe.benchmarks.placements;

import dev.sparkmoe.core.IoErrors;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class in a new JVM with this JVM's java binary, classpath and JVM options (which
 * carry the Java 17 module flags Spark needs), and the environment a {@code local-cluster} needs:
 * {@code SPARK_HOME} (an empty Spark home, created here), {@code SPARK_LOCAL_IP} on loopback, and
 * one BLAS thread per JVM. Output goes to a log file.
 */
final class ChildJvm {
  private ChildJvm() {}

  /**
   * Runs {@code mainClass} with {@code args} and waits for it.
   *
   * @throws IllegalStateException when it exits non-zero or outlives {@code timeoutMinutes}, naming
   *     the log
   */
  static void run(
      Class<?> mainClass, List<String> args, Path sparkHome, Path log, long timeoutMinutes) {
    List<String> command = new ArrayList<>();
    command.add(javaBinary());
    for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!option.startsWith("-Xmx") && !option.startsWith("-agentlib")) {
        command.add(option);
      }
    }
    command.add("-Xmx1g");
    command.add("-Djava.awt.headless=true");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass.getName());
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.redirectOutput(log.toFile());
    Map<String, String> env = builder.environment();
    env.put("SPARK_HOME", sparkHome.toAbsolutePath().toString());
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    env.put("OPENBLAS_NUM_THREADS", "1");
    try {
      Files.createDirectories(sparkHome.resolve("jars"));
      Process process = builder.start();
      if (!process.waitFor(timeoutMinutes, TimeUnit.MINUTES)) {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        throw new IllegalStateException(
            String.format(
                "Cannot run %s: still running after %d minutes (log: %s)",
                mainClass.getSimpleName(), timeoutMinutes, log));
      }
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            String.format(
                "Cannot run %s: it exited with %d (log: %s)",
                mainClass.getSimpleName(), process.exitValue(), log));
      }
    } catch (IOException e) {
      throw IoErrors.cannot("start a child JVM for " + mainClass.getName(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Cannot run " + mainClass.getName() + ": interrupted", e);
    }
  }

  private static String javaBinary() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
  }
}
