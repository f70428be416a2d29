package dev.sparkmoe.spark.cluster;

import java.util.HashMap;
import java.util.Map;
import org.apache.spark.SparkContext;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.status.api.v1.ExecutorSummary;
import scala.Option;
import scala.collection.JavaConverters;

/**
 * The active executors in the driver's status store ({@code SparkContext.statusStore}, Spark's
 * record behind the UI and the REST API), by block manager {@code host:port}; the driver's own
 * entry is left out. The store is filled by a listener, so it may lag the scheduler by a moment.
 */
final class StoreExecutors {
  private StoreExecutors() {}

  static Map<String, ExecutorSlot> byHostPort(SparkContext sc) {
    Map<String, ExecutorSlot> out = new HashMap<>();
    for (ExecutorSummary e : JavaConverters.seqAsJavaList(sc.statusStore().executorList(true))) {
      String hostPort = e.hostPort();
      int colon = hostPort == null ? -1 : hostPort.lastIndexOf(':');
      if (colon <= 0 || e.id().equals(ExecutorSlot.DRIVER)) {
        continue;
      }
      out.put(hostPort, new ExecutorSlot(e.id(), hostPort.substring(0, colon), gpu(e)));
    }
    return out;
  }

  private static String gpu(ExecutorSummary e) {
    Option<ResourceInformation> gpu = e.resources().get(ExecutorSlot.GPU);
    return gpu.isDefined() && gpu.get().addresses().length > 0 ? gpu.get().addresses()[0] : null;
  }
}
