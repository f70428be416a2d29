package dev.sparkmoe.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import org.junit.jupiter.api.Test;

/** The named owner's ledger, over a fake allocator that counts native calls. */
class DeviceMemoryTest {
  private final CountingMemory fake = new CountingMemory();
  private final DeviceMemory memory = new DeviceMemory("test owner", fake);

  @Test
  void refusesToCloseWithAllocationsOutstandingAndListsThem() {
    DeviceBuffer weights = memory.allocate("expert gate_up", 1024);
    PinnedBuffer staging = memory.allocatePinned("staging", 2048);
    assertThat(memory.allocatedBytes()).isEqualTo(3072);
    assertThat(memory.allocationCount()).isEqualTo(2);

    assertThatThrownBy(memory::close)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "Cannot close device memory test owner: 2 allocations (3072 bytes) outstanding:"
                + " device expert gate_up (1024 bytes), pinned staging (2048 bytes)");

    weights.close();
    assertThatThrownBy(memory::close)
        .hasMessage(
            "Cannot close device memory test owner: 1 allocations (2048 bytes) outstanding:"
                + " pinned staging (2048 bytes)");
    staging.close();
    assertThatCode(memory::close).doesNotThrowAnyException();
    assertThat(fake.deviceFrees).isEqualTo(1);
    assertThat(fake.pinnedFrees).isEqualTo(1);
  }

  @Test
  void closingABufferTwiceFreesItOnce() {
    DeviceBuffer buffer = memory.allocate("once", 16);
    buffer.close();
    buffer.close();
    assertThat(fake.deviceFrees).isEqualTo(1);
    assertThat(memory.allocatedBytes()).isZero();
  }

  @Test
  void closedOwnerAllocatesNothing() {
    memory.close();
    assertThatThrownBy(() -> memory.allocate("late", 16))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Cannot allocate late: device memory test owner is closed");
    assertThat(fake.deviceAllocations).isZero();
  }

  @Test
  void emptyAllocationIsInvalid() {
    assertThatThrownBy(() -> memory.allocatePinned("nothing", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid allocation size for nothing: 0 bytes (expected: >= 1)");
  }

  @Test
  void failedNativeAllocationIsNotRecorded() {
    fake.failNext = true;
    assertThatThrownBy(() -> memory.allocate("too big", 1L << 40))
        .isInstanceOf(CudaException.class)
        .hasMessage("Cannot cuMemAlloc(1099511627776 bytes): CUDA_ERROR_OUT_OF_MEMORY (2)");
    assertThat(memory.allocationCount()).isZero();
    assertThatCode(memory::close).doesNotThrowAnyException();
  }

  @Test
  void offsetsStayInsideTheBuffer() {
    try (DeviceBuffer buffer = memory.allocate("rows", 64)) {
      assertThat(buffer.at(64).toString()).contains("byteOffset=64");
      assertThatThrownBy(() -> buffer.at(65))
          .isInstanceOf(IndexOutOfBoundsException.class)
          .hasMessage("Invalid offset into rows: 65 (expected: 0 <= offset <= 64)");
      assertThatThrownBy(() -> buffer.at(-1))
          .hasMessage("Invalid offset into rows: -1 (expected: 0 <= offset <= 64)");
    }
  }

  private static final class CountingMemory implements NativeMemory {
    int deviceAllocations;
    int deviceFrees;
    int pinnedFrees;
    boolean failNext;

    @Override
    public CUdeviceptr allocateDevice(long bytes) {
      if (failNext) {
        failNext = false;
        CudaDriver.check(2, "cuMemAlloc(" + bytes + " bytes)");
      }
      deviceAllocations++;
      return new CUdeviceptr();
    }

    @Override
    public void freeDevice(CUdeviceptr pointer) {
      deviceFrees++;
    }

    @Override
    public Pointer allocatePinned(long bytes) {
      return new Pointer();
    }

    @Override
    public void freePinned(Pointer pointer) {
      pinnedFrees++;
    }
  }
}
