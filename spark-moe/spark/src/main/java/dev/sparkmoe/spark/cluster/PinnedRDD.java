package dev.sparkmoe.spark.cluster;

import java.util.List;
import org.apache.spark.Partition;
import org.apache.spark.Partitioner;
import org.apache.spark.TaskContext;
import org.apache.spark.rdd.RDD;
import scala.Option;
import scala.collection.Iterator;
import scala.collection.JavaConverters;
import scala.collection.Seq;
import scala.reflect.ClassTag;

/**
 * Its parent, one to one (same partitions, same partitioner, same data), with a preferred location
 * per partition. The parent's own preferences are replaced, not merged: the pin is the point.
 */
final class PinnedRDD<T> extends RDD<T> {
  private static final long serialVersionUID = 1L;

  private final ClassTag<T> elementTag;
  private final String[] locations;
  private final Option<Partitioner> partitioner;

  PinnedRDD(RDD<T> parent, ClassTag<T> elementTag, List<String> locations) {
    super(parent, elementTag);
    this.elementTag = elementTag;
    this.locations = locations.toArray(String[]::new);
    this.partitioner = parent.partitioner();
  }

  @Override
  public Iterator<T> compute(Partition split, TaskContext context) {
    return firstParent(elementTag).iterator(split, context);
  }

  @Override
  public Partition[] getPartitions() {
    return firstParent(elementTag).partitions();
  }

  @Override
  public Seq<String> getPreferredLocations(Partition split) {
    return JavaConverters.asScalaBuffer(List.of(locations[split.index()])).toList();
  }

  @Override
  public Option<Partitioner> partitioner() {
    return partitioner;
  }
}
