package dev.sparkmoe.spark.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.scheduler.ExecutorCacheTaskLocation;
import org.apache.spark.scheduler.TaskLocation$;
import org.junit.jupiter.api.Test;

class ExecutorSlotTest {
  @Test
  void taskLocationIsWhatSparkParsesAsAnExecutorLocation() {
    ExecutorSlot slot = new ExecutorSlot("12", "10.0.0.7", "3");

    assertThat(slot.taskLocation()).isEqualTo("executor_10.0.0.7_12");
    assertThat(TaskLocation$.MODULE$.apply(slot.taskLocation()))
        .as("Spark's own parser, as the scheduler reads preferred locations")
        .isEqualTo(new ExecutorCacheTaskLocation("10.0.0.7", "12"));
  }

  @Test
  void sortsNumericIdsAsNumbersAndTheRestAfter() {
    List<String> sorted =
        Stream.of("10", "driver", "2", "0", "1")
            .map(id -> new ExecutorSlot(id, "h", null))
            .sorted(ExecutorSlot.BY_EXECUTOR_ID)
            .map(ExecutorSlot::executorId)
            .toList();

    assertThat(sorted).containsExactly("0", "1", "2", "10", "driver");
  }

  @Test
  void gpuIsOptional() {
    assertThat(new ExecutorSlot("driver", "h", null).hasGpu()).isFalse();
    assertThat(new ExecutorSlot("0", "h", "0").hasGpu()).isTrue();
  }

  @Test
  void rejectsHostThatWouldBreakTheTaskLocation() {
    assertThatThrownBy(() -> new ExecutorSlot("0", "my_host", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid host: my_host (expected: no '_', which ends the host in a task location)");
  }

  @Test
  void ofCurrentTaskFailsOutsideATask() {
    assertThatThrownBy(ExecutorSlot::ofCurrentTask)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Cannot read the task's slot: not inside a Spark task");
  }
}
