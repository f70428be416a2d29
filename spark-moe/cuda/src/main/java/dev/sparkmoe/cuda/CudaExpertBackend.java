package dev.sparkmoe.cuda;

import dev.sparkmoe.core.backend.ExpertBackend;
import dev.sparkmoe.core.backend.ResidentExpert;
import dev.sparkmoe.core.model.ExpertWeights;
import java.util.ArrayList;
import java.util.List;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Experts on one GPU through the JCuda driver API and the kernels of native/: weights resident in
 * device memory in f16 or bf16, the FFN as a tensor-core GEMM (gate and up fused, f32
 * accumulation), fused SwiGLU, and a second GEMM whose f32 output is the expert's output.
 *
 * <p>{@link #compute} splits a batch into chunks ({@link CudaBackendOptions#chunkTokens()}) and
 * pipelines them over three streams — host-to-device copy, compute, device-to-host copy — with two
 * slots of pinned and device buffers, so chunk i+1 uploads while chunk i computes and chunk i-1
 * downloads. {@link #computeSynchronous} runs the same chunks one after another on one stream: the
 * reference the pipelined path must match bit for bit.
 *
 * <p>The package-private members (the synchronous path, the workspace's poisoning and reservation,
 * direct access to the kernels, streams and memory) are for the GPU check and the tests, which live
 * in this package; the backend's public surface is {@link ExpertBackend}'s and {@link #open}.
 *
 * <p>Thread-safe: calls are serialized (one GPU, one set of streams); Spark tasks of one executor
 * may share the backend. All device memory is owned by one named {@link DeviceMemory}, which {@link
 * #close()} closes after freeing the experts and the workspace.
 */
public final class CudaExpertBackend implements ExpertBackend {
  public static final String NAME = "cuda";

  private static final Logger LOG = LoggerFactory.getLogger(CudaExpertBackend.class);

  private final CudaBackendOptions options;
  private final CudaContext context;
  private final Kernels kernels;
  private final DeviceMemory memory;
  private final CudaStream upload;
  private final CudaStream compute;
  private final CudaStream download;
  private final List<DeviceExpert> experts = new ArrayList<>();
  private FfnWorkspace workspace;
  private boolean closed;

  private CudaExpertBackend(
      CudaBackendOptions options, CudaContext context, Kernels kernels, CudaStream[] streams) {
    this.options = options;
    this.context = context;
    this.kernels = kernels;
    this.memory = DeviceMemory.open("cuda backend on GPU " + context.ordinal());
    this.upload = streams[0];
    this.compute = streams[1];
    this.download = streams[2];
  }

  /**
   * A backend on the GPU {@code options} names.
   *
   * @throws IllegalStateException if the CUDA backend cannot run here (the message says why and how
   *     to fix it)
   * @throws IllegalArgumentException if the address names no usable GPU
   */
  public static CudaExpertBackend open(CudaBackendOptions options) {
    CudaContext context = CudaContext.forAddress(options.deviceAddress());
    context.makeCurrent();
    Kernels kernels = Kernels.load(context);
    List<CudaStream> streams = new ArrayList<>();
    try {
      for (String name : List.of("h2d", "compute", "d2h")) {
        streams.add(CudaStream.create(name));
      }
    } catch (RuntimeException e) {
      streams.forEach(CudaStream::close);
      kernels.close();
      throw e;
    }
    CudaExpertBackend backend =
        new CudaExpertBackend(options, context, kernels, streams.toArray(new CudaStream[0]));
    LOG.info("CUDA expert backend: {}", backend.description());
    return backend;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return String.format(
        "cuda (%s, %s tensor cores, %d-token chunks)",
        context.description(), options.dtype().label(), options.chunkTokens());
  }

  CudaBackendOptions options() {
    return options;
  }

  CudaContext context() {
    return context;
  }

  /** The kernels, for launching directly (the GPU check and tests). */
  Kernels kernels() {
    return kernels;
  }

  /** The owner of this backend's device and pinned memory. */
  DeviceMemory memory() {
    return memory;
  }

  /** The stream {@link #enqueueFfn} callers usually pass: the one the backend computes on. */
  CudaStream computeStream() {
    return compute;
  }

  @Override
  public synchronized ResidentExpert upload(ExpertWeights weights) {
    checkOpen("upload expert");
    context.makeCurrent();
    String label = String.format("layer %d expert %d", weights.layer(), weights.expert());
    DeviceBuffer gateUp = toDevice(label + " gate_up", weights.gateUp());
    DeviceBuffer down;
    try {
      down = toDevice(label + " down", weights.down());
    } catch (RuntimeException e) {
      gateUp.close();
      throw e;
    }
    DeviceExpert expert =
        new DeviceExpert(
            this, weights.layer(), weights.expert(), weights.hidden(), weights.ffn(), gateUp, down);
    experts.add(expert);
    return expert;
  }

  /** Copies f32 {@code values} to the device and converts them there to the tensor dtype. */
  private DeviceBuffer toDevice(String purpose, float[] values) {
    DeviceBuffer converted =
        memory.allocate(purpose, (long) values.length * options.dtype().sizeBytes());
    try (DeviceBuffer staging = memory.allocate(purpose + " f32 staging", 4L * values.length)) {
      CudaDriver.copyHostToDevice(staging.pointer(), Pointer.to(values), 4L * values.length);
      kernels.convert(
          options.dtype(), staging.pointer(), values.length, converted.pointer(), compute);
      compute.synchronize();
    } catch (RuntimeException e) {
      converted.close();
      throw e;
    }
    return converted;
  }

  /** Pipelined over the copy and compute streams; see the class comment. */
  @Override
  public synchronized void compute(
      ResidentExpert expert, float[] input, int numTokens, float[] output) {
    DeviceExpert e = prepare(expert, input, numTokens, output);
    FfnWorkspace ws = workspaceFor(e);
    ChunkPlan plan = new ChunkPlan(numTokens, ws.capacity);
    for (int i = 0; i < plan.chunks(); i++) {
      if (i >= ChunkPlan.SLOTS) {
        finishChunk(plan, i - ChunkPlan.SLOTS, ws, output);
      }
      enqueuePipelined(plan, i, e, ws, input);
    }
    for (int i = Math.max(0, plan.chunks() - ChunkPlan.SLOTS); i < plan.chunks(); i++) {
      finishChunk(plan, i, ws, output);
    }
  }

  private void enqueuePipelined(
      ChunkPlan plan, int chunk, DeviceExpert e, FfnWorkspace ws, float[] input) {
    int s = ChunkPlan.slot(chunk);
    int floats = plan.tokens(chunk) * e.hidden();
    long bytes = 4L * floats;
    // Slot s was last used by chunk - 2, whose download finishChunk has waited for, so its pinned
    // input is free; its device input is free once chunk - 2's compute is done.
    ws.hostIn[s].floats().put(0, input, plan.start(chunk) * e.hidden(), floats);
    upload.waitFor(ws.computed[s]);
    CudaDriver.copyHostToDeviceAsync(
        ws.deviceIn[s].pointer(), ws.hostIn[s].pointer(), bytes, upload);
    ws.uploaded[s].record(upload);
    compute.waitFor(ws.uploaded[s]);
    compute.waitFor(ws.downloaded[s]);
    enqueueChunk(e, ws, ws.deviceIn[s].pointer(), plan.tokens(chunk), ws.deviceOut[s].pointer());
    ws.computed[s].record(compute);
    download.waitFor(ws.computed[s]);
    CudaDriver.copyDeviceToHostAsync(
        ws.hostOut[s].pointer(), ws.deviceOut[s].pointer(), bytes, download);
    ws.downloaded[s].record(download);
  }

  private static void finishChunk(ChunkPlan plan, int chunk, FfnWorkspace ws, float[] output) {
    int s = ChunkPlan.slot(chunk);
    ws.downloaded[s].synchronize();
    ws.hostOut[s]
        .floats()
        .get(0, output, plan.start(chunk) * ws.hidden, plan.tokens(chunk) * ws.hidden);
  }

  /**
   * The same chunks as {@link #compute}, each uploaded, computed and downloaded on the compute
   * stream and waited for before the next: no overlap, the reference for the pipelined path.
   */
  synchronized void computeSynchronous(
      ResidentExpert expert, float[] input, int numTokens, float[] output) {
    DeviceExpert e = prepare(expert, input, numTokens, output);
    FfnWorkspace ws = workspaceFor(e);
    ChunkPlan plan = new ChunkPlan(numTokens, ws.capacity);
    for (int i = 0; i < plan.chunks(); i++) {
      int floats = plan.tokens(i) * e.hidden();
      ws.hostIn[0].floats().put(0, input, plan.start(i) * e.hidden(), floats);
      CudaDriver.copyHostToDeviceAsync(
          ws.deviceIn[0].pointer(), ws.hostIn[0].pointer(), 4L * floats, compute);
      enqueueChunk(e, ws, ws.deviceIn[0].pointer(), plan.tokens(i), ws.deviceOut[0].pointer());
      CudaDriver.copyDeviceToHostAsync(
          ws.hostOut[0].pointer(), ws.deviceOut[0].pointer(), 4L * floats, compute);
      compute.synchronize();
      ws.hostOut[0].floats().get(0, output, plan.start(i) * e.hidden(), floats);
    }
  }

  /**
   * Enqueues the FFN of {@code numTokens} rows already on the device ({@code input}, f32
   * [numTokens, hidden]) into {@code output} (f32 [numTokens, hidden]) on {@code stream}, in chunks
   * through the workspace, and returns without waiting: for timing the GPU alone. The caller keeps
   * {@code stream} ordered with the compute stream if they differ.
   */
  synchronized void enqueueFfn(
      ResidentExpert expert,
      CUdeviceptr input,
      int numTokens,
      CUdeviceptr output,
      CudaStream stream) {
    DeviceExpert e = owned(expert);
    checkCount(numTokens);
    context.makeCurrent();
    FfnWorkspace ws = workspaceFor(e);
    ChunkPlan plan = new ChunkPlan(numTokens, ws.capacity);
    for (int i = 0; i < plan.chunks(); i++) {
      long offset = 4L * plan.start(i) * e.hidden();
      enqueueChunk(
          e,
          ws,
          input.withByteOffset(offset),
          plan.tokens(i),
          output.withByteOffset(offset),
          stream);
    }
  }

  private void enqueueChunk(
      DeviceExpert e, FfnWorkspace ws, CUdeviceptr in, int tokens, CUdeviceptr out) {
    enqueueChunk(e, ws, in, tokens, out, compute);
  }

  private void enqueueChunk(
      DeviceExpert e,
      FfnWorkspace ws,
      CUdeviceptr in,
      int tokens,
      CUdeviceptr out,
      CudaStream stream) {
    TensorDtype dtype = options.dtype();
    int h = e.hidden();
    int f = e.ffn();
    kernels.convert(dtype, in, (long) tokens * h, ws.activations.pointer(), stream);
    kernels.gemm(
        dtype,
        ws.activations.pointer(),
        e.gateUp().pointer(),
        ws.gateUp.pointer(),
        tokens,
        2 * f,
        h,
        stream);
    kernels.swiglu(dtype, ws.gateUp.pointer(), tokens, f, ws.activated.pointer(), stream);
    kernels.gemm(dtype, ws.activated.pointer(), e.down().pointer(), out, tokens, h, f, stream);
  }

  /** Fills the workspace with NaN, so a check sees any output element a kernel did not write. */
  synchronized void poisonWorkspace() {
    checkOpen("poison the workspace");
    context.makeCurrent();
    if (workspace != null) {
      workspace.poison(compute);
      compute.synchronize();
    }
  }

  /** Allocates the workspace for {@code e}'s shape now rather than on the first batch. */
  synchronized void reserveWorkspace(ResidentExpert expert) {
    context.makeCurrent();
    workspaceFor(owned(expert));
  }

  private FfnWorkspace workspaceFor(DeviceExpert e) {
    if (workspace == null || !workspace.fits(e.hidden(), e.ffn())) {
      synchronizeAll();
      if (workspace != null) {
        workspace.close();
        workspace = null;
      }
      workspace =
          FfnWorkspace.allocate(
              memory, options.dtype(), e.hidden(), e.ffn(), options.chunkTokens());
    }
    return workspace;
  }

  private DeviceExpert prepare(
      ResidentExpert expert, float[] input, int numTokens, float[] output) {
    DeviceExpert e = owned(expert);
    checkCount(numTokens);
    checkLength("input", input.length, numTokens, e.hidden());
    checkLength("output", output.length, numTokens, e.hidden());
    context.makeCurrent();
    return e;
  }

  private DeviceExpert owned(ResidentExpert expert) {
    checkOpen("compute expert");
    if (!(expert instanceof DeviceExpert e) || e.owner() != this) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot compute layer %d expert %d: it is resident on another backend, not %s",
              expert.layer(), expert.expert(), description()));
    }
    return e;
  }

  private static void checkCount(int numTokens) {
    if (numTokens < 0) {
      throw new IllegalArgumentException(
          String.format("Invalid token count: %d (expected: >= 0)", numTokens));
    }
  }

  private static void checkLength(String what, int length, int numTokens, int hidden) {
    if (length < (long) numTokens * hidden) {
      throw new IllegalArgumentException(
          String.format(
              "Invalid %s length: %d (expected: >= %d = %d tokens x hidden %d)",
              what, length, (long) numTokens * hidden, numTokens, hidden));
    }
  }

  private void checkOpen(String action) {
    if (closed) {
      throw new IllegalStateException("Cannot " + action + ": the CUDA backend is closed");
    }
  }

  private void synchronizeAll() {
    upload.synchronize();
    compute.synchronize();
    download.synchronize();
  }

  /**
   * Frees the experts, the workspace, the streams and the kernels, then closes the memory owner.
   *
   * @throws IllegalStateException if device memory is still allocated from {@link #memory()} (a
   *     buffer a caller allocated and did not close)
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    context.makeCurrent();
    try {
      synchronizeAll();
      experts.forEach(DeviceExpert::free);
      experts.clear();
      if (workspace != null) {
        workspace.close();
      }
      upload.close();
      compute.close();
      download.close();
      kernels.close();
    } finally {
      memory.close();
    }
  }
}
