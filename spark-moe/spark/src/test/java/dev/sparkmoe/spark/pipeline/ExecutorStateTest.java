package dev.sparkmoe.spark.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkmoe.core.backend.CpuExpertBackend;
import dev.sparkmoe.core.backend.ExpertBackend;
import dev.sparkmoe.core.backend.ResidentExpert;
import dev.sparkmoe.core.model.ExpertWeights;
import dev.sparkmoe.core.model.ModelFixtures;
import dev.sparkmoe.core.model.MoeModel;
import dev.sparkmoe.core.nn.ComputeDtype;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An executor's state outside Spark: runtimes keyed by model fingerprint, closed once stale and
 * unused, everything closed with the state and the allocator's leak check running there.
 */
class ExecutorStateTest {
  @TempDir Path temp;
  private final List<ClosingBackend> backends = new ArrayList<>();
  private ExecutorState state;
  private String model;

  @BeforeEach
  void setUp() {
    state = new ExecutorState("executor-state-test", this::backend);
    model = ModelFixtures.tinyMixtral(temp.resolve("model")).toString();
  }

  @AfterEach
  void tearDown() {
    state.close();
  }

  @Test
  void anUnchangedModelKeepsItsRuntime() {
    ExecutorRuntime first = state.acquire(model, "cpu", ComputeDtype.F32);
    ExecutorRuntime again = state.acquire(model, "cpu", ComputeDtype.F32);
    assertThat(again).isSameAs(first);
    assertThat(state.acquire(model, "other", ComputeDtype.F32))
        .as("one runtime per backend")
        .isNotSameAs(first);
    ExecutorRuntime bf16 = state.acquire(model, "cpu", ComputeDtype.BF16);
    assertThat(bf16).as("one runtime per compute dtype").isNotSameAs(first);
    assertThat(bf16.computeDtype()).isEqualTo(ComputeDtype.BF16);
    assertThat(first.computeDtype()).isEqualTo(ComputeDtype.F32);
  }

  @Test
  void aModelRewrittenAtTheSamePathIsServedFreshAndTheStaleRuntimeClosesWithItsLastUse() {
    ExecutorRuntime stale = state.acquire(model, "cpu", ComputeDtype.F32);
    state.acquire(model, "cpu", ComputeDtype.F32);
    float[] oldEmbedding = stale.dense().embedding();
    stale.resident(0, 1);
    rewrite();

    ExecutorRuntime fresh = state.acquire(model, "cpu", ComputeDtype.F32);
    assertThat(fresh).isNotSameAs(stale);
    assertThat(fresh.dense().embedding())
        .as("the rewritten model's weights (generator seed 7), not the cached ones")
        .isEqualTo(rewrittenEmbedding())
        .isNotEqualTo(oldEmbedding);
    assertThat(state.openRuntimes()).containsExactlyInAnyOrder(fresh, stale);

    state.release(stale);
    assertThat(stale.isClosed()).as("a task still uses it").isFalse();
    state.release(stale);
    assertThat(stale.isClosed()).as("its last use ended").isTrue();
    assertThat(backends.get(0).closes).as("the stale runtime's backend closed").isEqualTo(1);
    assertThat(state.openRuntimes()).containsExactly(fresh);
    assertThatThrownBy(() -> stale.model().loadDense())
        .as("the stale model's files are closed")
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("it is closed");
    assertThatThrownBy(() -> stale.resident(1, 2))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "Cannot use the cpu runtime of model %s: it is closed (the model changed on disk or"
                + " the executor is shutting down)",
            model);
  }

  @Test
  void anIdleStaleRuntimeClosesAtTheNextAcquire() {
    ExecutorRuntime stale = state.acquire(model, "cpu", ComputeDtype.F32);
    state.release(stale);
    assertThat(stale.isClosed()).as("current, though unused").isFalse();
    rewrite();
    ExecutorRuntime fresh = state.acquire(model, "cpu", ComputeDtype.F32);
    assertThat(stale.isClosed()).isTrue();
    assertThat(fresh.isClosed()).isFalse();
    assertThat(state.openRuntimes()).containsExactly(fresh);
  }

  @Test
  void closingReleasesEveryBackendAndModelEvenInUse() {
    ExecutorRuntime runtime = state.acquire(model, "cpu", ComputeDtype.F32);
    runtime.resident(0, 3);
    runtime.resident(1, 5);
    assertThat(runtime.expertLoads()).isEqualTo(2);
    state.close();
    assertThat(runtime.isClosed()).isTrue();
    assertThat(backends).singleElement().extracting(b -> b.closes).isEqualTo(1);
    assertThat(state.isClosed()).isTrue();
    assertThatThrownBy(() -> state.acquire(model, "cpu", ComputeDtype.F32))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "Cannot load model %s on executor state executor-state-test: it is closed (the"
                + " executor is shutting down)",
            model);
    state.close();
    assertThat(backends.get(0).closes).as("close is idempotent").isEqualTo(1);
  }

  @Test
  void closingRunsTheAllocatorLeakCheck() {
    ExecutorRuntime runtime = state.acquire(model, "cpu", ComputeDtype.F32);
    runtime.backend();
    // Left open: once its allocator has closed, Arrow refuses to release a buffer of it.
    ArrowBuf leaked = state.allocator().buffer(64);
    assertThat(leaked.capacity()).isEqualTo(64);
    assertThatThrownBy(state::close)
        .isInstanceOf(IllegalStateException.class)
        // Arrow words the leak by its debug mode (on with -ea): either way it names the allocator
        // and what it holds (reserved/allocated/peak).
        .hasMessageStartingWith("Cannot close executor allocator executor-state-test: ")
        .hasMessageContaining("Allocator(executor-state-test) 0/64/64/");
    assertThat(runtime.isClosed()).as("the runtimes closed before the check").isTrue();
    assertThat(backends.get(0).closes).isEqualTo(1);
  }

  @Test
  void noLeakNoFailure() {
    state.allocator().buffer(128).close();
    state.close();
    assertThat(state.isClosed()).isTrue();
  }

  private void rewrite() {
    ModelFixtures.write(ModelFixtures.tiny().toBuilder().seed(7).build(), Path.of(model));
  }

  private float[] rewrittenEmbedding() {
    Path copy = temp.resolve("seed-7");
    ModelFixtures.write(ModelFixtures.tiny().toBuilder().seed(7).build(), copy);
    try (MoeModel opened = MoeModel.open(copy)) {
      return opened.loadDense().embedding();
    }
  }

  private ExpertBackend backend(String name, String deviceAddress, ComputeDtype dtype) {
    assertThat(deviceAddress).as("no task, no GPU").isNull();
    ClosingBackend backend = new ClosingBackend(new CpuExpertBackend());
    backends.add(backend);
    return backend;
  }

  /** The CPU backend, counting its closes. */
  private static final class ClosingBackend implements ExpertBackend {
    private final CpuExpertBackend cpu;
    private int closes;

    ClosingBackend(CpuExpertBackend cpu) {
      this.cpu = cpu;
    }

    @Override
    public String name() {
      return cpu.name();
    }

    @Override
    public String description() {
      return cpu.description();
    }

    @Override
    public ResidentExpert upload(ExpertWeights weights) {
      return cpu.upload(weights);
    }

    @Override
    public void compute(ResidentExpert expert, float[] input, int numTokens, float[] output) {
      cpu.compute(expert, input, numTokens, output);
    }

    @Override
    public void close() {
      closes++;
      cpu.close();
    }
  }
}
