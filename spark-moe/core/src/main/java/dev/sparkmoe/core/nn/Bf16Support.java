package dev.sparkmoe.core.nn;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Decides whether the oneDNN implementation picked for bf16 matmuls runs on the CPU's own bf16
 * instructions. We refuse the others rather than run them: without AVX512-BF16 or AMX, oneDNN
 * either emulates bf16 on AVX-512 (the weights still halve but the products run no faster than f32)
 * or falls back to its reference kernels, 10-100× slower; f32 is the better choice there.
 */
final class Bf16Support {
  /** Markers of the implementations that use bf16 instructions (oneDNN's ISA names). */
  static final List<String> NATIVE_ISAS =
      List.of("avx512_core_bf16", "avx512_core_amx", "avx2_vnni_2");

  /** The {@code /proc/cpuinfo} flags that name bf16 instructions. */
  static final List<String> BF16_FLAGS = List.of("avx512_bf16", "amx_bf16", "avx_ne_convert");

  static final String FIX = "use --compute-dtype f32 (ComputeDtype.F32)";

  private Bf16Support() {}

  /**
   * Empty when {@code implementation} (a primitive's {@code impl_info_str}) uses bf16 instructions,
   * else why not (naming the CPU flags found) and the fix.
   */
  static Optional<String> unsupportedReason(String implementation, Set<String> cpuFlags) {
    if (NATIVE_ISAS.stream().anyMatch(implementation::contains)) {
      return Optional.empty();
    }
    return Optional.of(
        String.format(
            "oneDNN picked %s, which has no bf16 instructions (CPU bf16 flags found: %s; expected"
                + " one of %s); %s",
            implementation, bf16Flags(cpuFlags), BF16_FLAGS, FIX));
  }

  /** The message for natives that do not load on this platform. */
  static String loadFailure(Throwable cause) {
    return String.format(
        "oneDNN's natives do not load on %s-%s: %s; %s",
        System.getProperty("os.name"), System.getProperty("os.arch"), cause, FIX);
  }

  private static String bf16Flags(Set<String> cpuFlags) {
    Set<String> found = new TreeSet<>(cpuFlags);
    found.retainAll(BF16_FLAGS);
    return found.isEmpty() ? "none" : String.join(" ", found);
  }

  /** The CPU's flags from {@code /proc/cpuinfo}; empty where that file is absent (not Linux). */
  static Set<String> cpuFlags() {
    Path cpuinfo = Path.of("/proc/cpuinfo");
    if (!Files.isReadable(cpuinfo)) {
      return Set.of();
    }
    try (Stream<String> lines = Files.lines(cpuinfo)) {
      return lines
          .filter(line -> line.startsWith("flags"))
          .findFirst()
          .map(line -> Set.of(line.substring(line.indexOf(':') + 1).trim().split("\\s+")))
          .orElse(Set.of());
    } catch (IOException e) {
      return Set.of();
    }
  }
}
