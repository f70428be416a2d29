package dev.sparkmoe.core.nn;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SCRATCHPAD;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.matmul;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.reorder;
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

  /** Rows of the product whose preferred weight layout every product with those weights uses. */
  static final int LAYOUT_ROWS = 1024;

  private static final State STATE = load();

  private static final Map<List<Integer>, memory.desc> BLOCKED = new ConcurrentHashMap<>();

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

  /**
   * The blocked layout oneDNN prefers for {@code [k, m]} bf16 weights, asked of a {@value
   * #LAYOUT_ROWS}-row product; products of other row counts take the same layout and keep their
   * fast kernel, while plain {@code [m, k]} weights cost 5-30% (oneDNN repacks them at every call).
   */
  static memory.desc blockedWeights(int k, int m) {
    return BLOCKED.computeIfAbsent(List.of(k, m), shape -> preferredWeights(k, m));
  }

  private static memory.desc preferredWeights(int k, int m) {
    try (primitive_attr attr = new primitive_attr()) {
      memory.desc any =
          new memory.desc(new LongPointer(k, m), memory.data_type.bf16, memory.format_tag.any);
      return new matmul.primitive_desc(
              engine(),
              rowMajor(LAYOUT_ROWS, k, memory.data_type.bf16),
              any,
              rowMajor(LAYOUT_ROWS, m, memory.data_type.f32),
              attr,
              false)
          .weights_desc();
    }
  }

  /** Copies {@code from} into {@code to} (another layout of the same tensor). */
  static void reorder(memory from, memory to) {
    try (stream stream = new stream(engine());
        reorder reorder = new reorder(from, to)) {
      reorder.execute(stream, from, to);
      stream._wait();
    }
  }

  /** A bf16 {@code [rows, k] · [k, m]} matmul into f32, with a scratchpad of its own. */
  static Primitive matmul(engine engine, int rows, int k, int m) {
    return matmul(engine, rows, k, m, transposedWeights(k, m));
  }

  /** As {@link #matmul(engine, int, int, int)} with weights in layout {@code weights}. */
  static Primitive matmul(engine engine, int rows, int k, int m, memory.desc weights) {
    try (primitive_attr attr = new primitive_attr()) {
      attr.set_scratchpad_mode(dnnl.scratchpad_mode.user);
      matmul.primitive_desc pd =
          new matmul.primitive_desc(
              engine,
              rowMajor(rows, k, memory.data_type.bf16),
              weights,
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
