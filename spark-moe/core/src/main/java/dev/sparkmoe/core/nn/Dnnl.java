package dev.sparkmoe.core.nn;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SCRATCHPAD;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;

import java.util.Optional;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.matmul;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * The one bridge to oneDNN (through bytedeco's bindings): the CPU engine, loaded once per JVM, and
 * bf16 matmul primitives. Every oneDNN failure leaves here as an exception that names the call and
 * the shape.
 *
 * <p>Threads: oneDNN's OpenMP runtime gives each calling thread {@code OMP_NUM_THREADS} threads
 * (all cores when unset); one per Spark task slot is the rule, as for BLAS, and {@code
 * spark-moe/bin/moe} and the tests set {@code OMP_NUM_THREADS=1}.
 */
final class Dnnl {
  /**
   * Rows x k x m of the probe that decides {@link #unavailableReason()}: an expert-sized product.
   */
  private static final int PROBE_ROWS = 256;

  private static final int PROBE_K = 1024;

  private static final State STATE = load();

  private Dnnl() {}

  /** Empty when bf16 matmuls run here on bf16 instructions, else why not and the fix. */
  static Optional<String> unavailableReason() {
    return STATE.unavailableReason();
  }

  /** The oneDNN version and the implementation of an expert-sized bf16 matmul. */
  static String implementation() {
    return STATE.implementation();
  }

  /** The CPU engine; throws with the reason where bf16 is unavailable. */
  static engine engine() {
    STATE
        .unavailableReason()
        .ifPresent(
            reason -> {
              throw new IllegalStateException("Cannot compute in bf16 on this CPU: " + reason);
            });
    return STATE.engine();
  }

  /** A {@code [rows, cols]} row-major memory descriptor. */
  static memory.desc rowMajor(long rows, long cols, memory.data_type type) {
    return new memory.desc(new LongPointer(rows, cols), type, memory.format_tag.ab);
  }

  /** {@code [k, m]} weights stored as {@code [m, k]} row-major: our [out, in] layout as it is. */
  static memory.desc transposedWeights(long k, long m) {
    return new memory.desc(new LongPointer(k, m), memory.data_type.bf16, memory.format_tag.ba);
  }

  /** A bf16 {@code [rows, k] · [k, m]} matmul into f32, with a scratchpad of its own. */
  static Primitive matmul(engine engine, int rows, int k, int m) {
    try (primitive_attr attr = new primitive_attr()) {
      attr.set_scratchpad_mode(dnnl.scratchpad_mode.user);
      matmul.primitive_desc pd =
          new matmul.primitive_desc(
              engine,
              rowMajor(rows, k, memory.data_type.bf16),
              transposedWeights(k, m),
              rowMajor(rows, m, memory.data_type.f32),
              attr,
              false);
      return new Primitive(
          new matmul(pd), new memory(pd.scratchpad_desc(), engine), pd.impl_info_str().getString());
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          String.format(
              "Cannot create oneDNN bf16 matmul [%d, %d] x [%d, %d]: %s", rows, k, k, m, e),
          e);
    }
  }

  /** A created matmul with its scratchpad; executes on one thread's stream at a time. */
  record Primitive(matmul matmul, memory scratchpad, String implementation) {
    void execute(stream stream, memory src, memory weights, memory dst) {
      try (IntMemoryMap args = new IntMemoryMap()) {
        args.put(DNNL_ARG_SRC, src);
        args.put(DNNL_ARG_WEIGHTS, weights);
        args.put(DNNL_ARG_DST, dst);
        args.put(DNNL_ARG_SCRATCHPAD, scratchpad);
        matmul.execute(stream, args);
        stream._wait();
      }
    }
  }

  /** Binds {@code desc} to {@code data}, which the caller keeps alive while the memory is used. */
  static memory bind(memory.desc desc, engine engine, Pointer data) {
    return new memory(desc, engine, data);
  }

  private record State(engine engine, String implementation, Optional<String> unavailableReason) {}

  private static State load() {
    engine cpu;
    try {
      cpu = new engine(engine.kind.cpu, 0);
    } catch (
        Throwable e) { // natives that do not load throw UnsatisfiedLinkError or ExceptionInInit
      return new State(null, "oneDNN (not loaded)", Optional.of(Bf16Support.loadFailure(e)));
    }
    String implementation =
        version() + " " + matmul(cpu, PROBE_ROWS, PROBE_K, PROBE_K).implementation();
    return new State(
        cpu, implementation, Bf16Support.unsupportedReason(implementation, Bf16Support.cpuFlags()));
  }

  private static String version() {
    var v = dnnl.dnnl_version();
    return String.format("oneDNN %d.%d.%d", v.major(), v.minor(), v.patch());
  }
}
