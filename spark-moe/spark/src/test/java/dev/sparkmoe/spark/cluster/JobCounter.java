package dev.sparkmoe.spark.cluster;

import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.SparkSession;

/** Counts the jobs a session starts from the moment it is registered. */
final class JobCounter extends SparkListener {
  private final SparkSession spark;
  private final AtomicInteger jobs = new AtomicInteger();

  private JobCounter(SparkSession spark) {
    this.spark = spark;
  }

  static JobCounter register(SparkSession spark) {
    JobCounter counter = new JobCounter(spark);
    spark.sparkContext().addSparkListener(counter);
    return counter;
  }

  @Override
  public void onJobStart(SparkListenerJobStart event) {
    jobs.incrementAndGet();
  }

  /** Jobs started since {@link #register}, once the listener bus has delivered every event. */
  int jobsSince() {
    try {
      spark.sparkContext().listenerBus().waitUntilEmpty();
    } catch (TimeoutException e) {
      throw new IllegalStateException("Cannot count jobs: the listener bus did not drain", e);
    }
    spark.sparkContext().removeSparkListener(this);
    return jobs.get();
  }
}
