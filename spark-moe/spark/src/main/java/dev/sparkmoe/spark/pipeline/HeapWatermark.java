package dev.sparkmoe.spark.pipeline;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * This JVM's heap high-water marks since the run it last joined ({@link #join}) or the last {@link
 * #reset()}: the most heap in use (garbage included: heap use only grows between collections, so it
 * is read just before each collection and when asked) and the most heap still in use right after a
 * collection (what the run really held). Thread-safe; one per JVM.
 */
final class HeapWatermark {
  private static final AtomicLong USED_PEAK = new AtomicLong();
  private static final AtomicLong LIVE_PEAK = new AtomicLong();
  private static final Set<String> HEAP_POOLS =
      ManagementFactory.getMemoryPoolMXBeans().stream()
          .filter(pool -> pool.getType() == MemoryType.HEAP)
          .map(MemoryPoolMXBean::getName)
          .collect(Collectors.toUnmodifiableSet());
  private static boolean listening;
  private static long run;

  private HeapWatermark() {}

  /** Starts watching garbage collections (once per JVM) and restarts both marks from now. */
  static synchronized void reset() {
    if (!listening) {
      for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
        if (gc instanceof NotificationEmitter emitter) {
          emitter.addNotificationListener(HeapWatermark::onNotification, null, null);
        }
      }
      listening = true;
    }
    USED_PEAK.set(0);
    LIVE_PEAK.set(0);
  }

  /**
   * Restarts both marks when {@code runId} is not the run this JVM last joined: the first task of a
   * run on an executor, and the driver when the run starts, restart them; later tasks keep them.
   */
  static synchronized void join(long runId) {
    if (!listening || run != runId) {
      reset();
      run = runId;
    }
  }

  /** Most heap in use since {@link #reset()}, garbage included, in bytes. */
  static long peakBytes() {
    long now = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    return USED_PEAK.accumulateAndGet(now, Math::max);
  }

  /** Most heap in use right after a collection since {@link #reset()}; 0 if none ran. */
  static long livePeakBytes() {
    return LIVE_PEAK.get();
  }

  /** The heap's limit ({@code -Xmx}), in bytes. */
  static long maxBytes() {
    return Runtime.getRuntime().maxMemory();
  }

  private static void onNotification(Notification notification, Object handback) {
    if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(
        notification.getType())) {
      return;
    }
    GarbageCollectionNotificationInfo info =
        GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
    USED_PEAK.accumulateAndGet(heapUsed(info.getGcInfo().getMemoryUsageBeforeGc()), Math::max);
    LIVE_PEAK.accumulateAndGet(heapUsed(info.getGcInfo().getMemoryUsageAfterGc()), Math::max);
  }

  private static long heapUsed(Map<String, MemoryUsage> usageByPool) {
    long used = 0;
    for (Map.Entry<String, MemoryUsage> entry : usageByPool.entrySet()) {
      if (HEAP_POOLS.contains(entry.getKey())) {
        used += entry.getValue().getUsed();
      }
    }
    return used;
  }
}
