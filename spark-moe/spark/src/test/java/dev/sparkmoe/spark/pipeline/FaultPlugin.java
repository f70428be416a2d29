package dev.sparkmoe.spark.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;

/**
 * A test-scope Spark plugin that installs a failing {@link PipelineHooks.Hook} in every executor,
 * to prove that Spark's recomputation gives every row exactly once and the same values. Register it
 * through {@code spark.plugins} with {@link #DIR} set to a folder every executor can reach. A test
 * arms a fault by writing {@code STAGE:LAYER:INDEX:ACTION} to {@link #armed} and clears it with
 * {@link #disarm}: stage {@code owner} (routing of LAYER, which also combines LAYER - 1), {@code
 * expert}, {@code server} (a service-mode expert server computing LAYER, on a server thread) or
 * {@code last} (the final combine; LAYER is ignored), INDEX the owner partition or slot, ACTION
 * {@code throw} (the task fails) or {@code exit} (the executor JVM exits). The first task that
 * matches creates {@link #fired} (atomically, so the fault fires once in the whole cluster), writes
 * where it ran into it, and fails.
 */
public final class FaultPlugin implements SparkPlugin {
  /** The folder of the armed fault and of the marker of a fired one. */
  public static final String DIR = "spark.moe.test.fault-dir";

  @Override
  public DriverPlugin driverPlugin() {
    return null;
  }

  @Override
  public ExecutorPlugin executorPlugin() {
    return new ExecutorPlugin() {
      @Override
      public void init(PluginContext context, Map<String, String> extraConf) {
        PipelineHooks.install(new FailingHook(Path.of(context.conf().get(DIR))));
      }

      @Override
      public void shutdown() {
        PipelineHooks.install(null);
      }
    };
  }

  static Path armed(Path dir) {
    return dir.resolve("armed");
  }

  static Path fired(Path dir) {
    return dir.resolve("fired");
  }

  /** Arms {@code fault} for the next run; a marker of an earlier fault is removed. */
  static void arm(Path dir, String fault) {
    try {
      Files.createDirectories(dir);
      Files.deleteIfExists(fired(dir));
      Files.writeString(armed(dir), fault);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot arm fault " + fault + " in " + dir, e);
    }
  }

  /** Disarms the fault; returns what the marker says of where it fired, or null if it did not. */
  static String disarm(Path dir) {
    try {
      Files.deleteIfExists(armed(dir));
      return Files.exists(fired(dir)) ? Files.readString(fired(dir)) : null;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot disarm the fault in " + dir, e);
    }
  }

  /** Fails the first task that matches the armed fault. */
  private record FailingHook(Path dir) implements PipelineHooks.Hook {
    @Override
    public void ownerTask(int layer, int partition) {
      maybeFail("owner", layer, partition);
    }

    @Override
    public void expertTask(int layer, int slot) {
      maybeFail("expert", layer, slot);
    }

    @Override
    public void lastTask(int partition) {
      maybeFail("last", -1, partition);
    }

    @Override
    public void expertServer(int layer, int slot, int stageAttempt) {
      maybeFail("server", layer, slot, stageAttempt);
    }

    private void maybeFail(String stage, int layer, int index) {
      maybeFail(stage, layer, index, TaskContext.get().attemptNumber());
    }

    private void maybeFail(String stage, int layer, int index, int attempt) {
      String[] fault = armedFault();
      if (fault == null || !fault[0].equals(stage) || Integer.parseInt(fault[2]) != index) {
        return;
      }
      if (!stage.equals("last") && Integer.parseInt(fault[1]) != layer) {
        return;
      }
      if (!markFired(stage, layer, index, attempt)) {
        return;
      }
      if (fault[3].equals("exit")) {
        Runtime.getRuntime().halt(17);
      }
      throw new IllegalStateException(
          String.format("Injected fault in %s task %d of layer %d", stage, index, layer));
    }

    private String[] armedFault() {
      try {
        Path armed = armed(dir);
        if (!Files.exists(armed)) {
          return null;
        }
        String[] parts = Files.readString(armed).trim().toLowerCase(Locale.ROOT).split(":");
        if (parts.length != 4 || !(parts[3].equals("throw") || parts[3].equals("exit"))) {
          throw new IllegalArgumentException(
              "Invalid fault: "
                  + String.join(":", parts)
                  + " (expected: owner|expert|server|last:LAYER:INDEX:throw|exit)");
        }
        return parts;
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read the armed fault in " + dir, e);
      }
    }

    /** Creates the marker; false when another task created it first. */
    private boolean markFired(String stage, int layer, int index, int attempt) {
      String where =
          String.format(
              "%s:%d:%d on executor %s, attempt %d",
              stage, layer, index, SparkEnv.get().executorId(), attempt);
      try {
        Files.write(
            fired(dir), where.getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE_NEW);
        return true;
      } catch (FileAlreadyExistsException e) {
        return false;
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot mark the fault fired in " + dir, e);
      }
    }
  }
}
