package dev.sparkmoe.core.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.junit.jupiter.api.Test;

class AllocatorsTest {
  @Test
  void closingWithOutstandingMemoryThrowsNamingTheAllocator() {
    BufferAllocator allocator = Allocators.root("leaky-test");
    // Stays allocated for the JVM's life: Arrow cannot release a buffer into a closed allocator.
    ArrowBuf unused = allocator.buffer(64);

    assertThatThrownBy(allocator::close)
        .isInstanceOf(IllegalStateException.class)
        .as("Arrow's report: name, reserved/actual/peak/limit bytes")
        .hasMessageContaining("Allocator(leaky-test) 0/64/64/");
  }

  @Test
  void enforcesTheLimit() {
    try (BufferAllocator allocator = Allocators.root("limited-test", 1024)) {
      assertThat(allocator.getName()).isEqualTo("limited-test");
      assertThat(allocator.getLimit()).isEqualTo(1024);
      assertThatThrownBy(() -> allocator.buffer(4096))
          .isInstanceOf(OutOfMemoryException.class)
          .hasMessageContaining("memory limit");
    }
  }

  @Test
  void rejectsInvalidArguments() {
    assertThatThrownBy(() -> Allocators.root(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid allocator name: ' ' (expected: not blank)");
    assertThatThrownBy(() -> Allocators.root("negative", -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid allocator limit: -1 bytes (expected: >= 0)");
  }
}
