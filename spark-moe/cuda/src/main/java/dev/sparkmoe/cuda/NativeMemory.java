package dev.sparkmoe.cuda;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

/**
 * Raw allocation calls behind {@link DeviceMemory}; tests substitute a fake to check the ledger.
 */
interface NativeMemory {
  CUdeviceptr allocateDevice(long bytes);

  void freeDevice(CUdeviceptr pointer);

  Pointer allocatePinned(long bytes);

  void freePinned(Pointer pointer);

  /** The driver's allocations, in the calling thread's current context. */
  NativeMemory DRIVER =
      new NativeMemory() {
        @Override
        public CUdeviceptr allocateDevice(long bytes) {
          return CudaDriver.memAlloc(bytes);
        }

        @Override
        public void freeDevice(CUdeviceptr pointer) {
          CudaDriver.memFree(pointer);
        }

        @Override
        public Pointer allocatePinned(long bytes) {
          return CudaDriver.memAllocHost(bytes);
        }

        @Override
        public void freePinned(Pointer pointer) {
          CudaDriver.memFreeHost(pointer);
        }
      };
}
