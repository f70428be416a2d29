package dev.sparkmoe.spark.pipeline;

import dev.sparkmoe.core.batch.ActivationDtype;
import dev.sparkmoe.core.forward.OutputKind;
import dev.sparkmoe.core.placement.PlacementPlan;
import dev.sparkmoe.core.placement.PlacementPolicy;
import dev.sparkmoe.spark.cluster.ClusterProbe;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerEvent;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.SQLExecution;
import org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionEnd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The expert servers of the scalar SQL functions, one barrier job per SQL execution and service
 * spec: started when the operator executes, stopped when the execution ends — after it succeeded,
 * failed or was cancelled ({@link SparkListenerSQLExecutionEnd} is posted in every case). Several
 * operators of one query on the same spec share the servers.
 *
 * <p>Thread-safe.
 */
public final class ScalarService {
  private static final Logger LOG = LoggerFactory.getLogger(ScalarService.class);
  private static final Map<Key, Running> RUNNING = new ConcurrentHashMap<>();

  private ScalarService() {}

  /**
   * What a query's servers run, resolved at analysis.
   *
   * @param model the model, its backend and compute dtype
   * @param activationDtype dtype of the activations the owners send
   * @param policy where every expert lives
   * @param servers slots, one server each
   * @param numLayers the model's layers
   * @param numExperts the model's experts per layer
   * @param service the service's knobs
   * @param reason why the service runs ({@link ExchangeChoice}'s sentence)
   */
  public record Spec(
      InTaskForward.Model model,
      ActivationDtype activationDtype,
      PlacementPolicy policy,
      int servers,
      int numLayers,
      int numExperts,
      ServiceSettings service,
      String reason)
      implements Serializable {
    private static final long serialVersionUID = 1L;

    PlacementPlan placement() {
      return PlacementPlan.of(policy, numLayers, numExperts, servers);
    }
  }

  private record Key(String executionId, Spec spec) {}

  /**
   * The servers of {@code spec} for the SQL execution running on this thread, started on the first
   * call (this blocks until every server reported its address).
   *
   * @throws IllegalStateException outside a SQL execution, or when the servers cannot start
   */
  public static ScalarForward.Source start(SparkSession spark, Spec spec) {
    SparkContext sc = spark.sparkContext();
    String executionId = sc.getLocalProperty(SQLExecution.EXECUTION_ID_KEY());
    if (executionId == null) {
      throw new IllegalStateException(
          "Cannot start the expert servers of a scalar model function outside a SQL execution (run"
              + " the query through an action of its Dataset, or pass 'mode=auto' for a model that"
              + " fits in-task)");
    }
    Key key = new Key(executionId, spec);
    return RUNNING.computeIfAbsent(key, k -> Running.start(spark, k)).source;
  }

  /** Services whose SQL execution has not ended yet (or whose servers are still stopping). */
  public static int running() {
    return RUNNING.size();
  }

  /**
   * One execution's servers: their registry, their barrier job and the listener that stops them.
   */
  private static final class Running extends SparkListener {
    private final Key key;
    private final SparkContext sc;
    private final AddressRegistry registry;
    private final JavaFutureAction<Long> servers;
    private final ServiceForward.Source source;

    private Running(
        Key key,
        SparkContext sc,
        AddressRegistry registry,
        JavaFutureAction<Long> servers,
        ServiceForward.Source source) {
      this.key = key;
      this.sc = sc;
      this.registry = registry;
      this.servers = servers;
      this.source = source;
    }

    static Running start(SparkSession spark, Key key) {
      SparkContext sc = spark.sparkContext();
      PipelineManifest manifest = manifest(key.spec());
      ServiceJob job =
          new ServiceJob(
              manifest,
              slotLocations(spark, key.spec().servers()),
              sc.collectionAccumulator(),
              sc.collectionAccumulator(),
              sc.collectionAccumulator(),
              new RunRecorder(manifest.placement().numLayers()));
      AddressRegistry registry =
          AddressRegistry.start(ServiceJob.bindHost(sc), ServiceJob.advertisedHost(sc));
      JavaFutureAction<Long> servers = null;
      try {
        servers = job.servers(sc, registry.endpoint()).countAsync();
        job.awaitServers(registry, servers);
      } catch (RuntimeException e) {
        registry.stopServers();
        if (servers != null) {
          ServiceJob.finish(servers);
        }
        registry.close();
        throw e;
      }
      LOG.info(
          "spark-moe: {} expert servers up for SQL execution {}",
          key.spec().servers(),
          key.executionId());
      Running running =
          new Running(
              key,
              sc,
              registry,
              servers,
              new ServiceForward.Source(manifest, registry.endpoint(), key.spec().reason()));
      sc.addSparkListener(running);
      return running;
    }

    @Override
    public void onOtherEvent(SparkListenerEvent event) {
      if (event instanceof SparkListenerSQLExecutionEnd end
          && Long.toString(end.executionId()).equals(key.executionId())) {
        // The listener bus must not wait for the barrier job to end.
        Thread stopper = new Thread(this::stop, "spark-moe-stop-servers-" + key.executionId());
        stopper.setDaemon(true);
        stopper.start();
      }
    }

    private void stop() {
      try {
        registry.stopServers();
        ServiceJob.finish(servers);
        registry.close();
      } finally {
        sc.removeSparkListener(this);
        RUNNING.remove(key);
        LOG.info("spark-moe: expert servers of SQL execution {} stopped", key.executionId());
      }
    }

    private static PipelineManifest manifest(Spec spec) {
      return new PipelineManifest(
          spec.model().path(),
          spec.model().backend(),
          OutputKind.HIDDEN,
          spec.activationDtype(),
          spec.model().computeDtype(),
          spec.placement(),
          /* partitions= */ 1,
          InvalidTokenPolicy.FAIL,
          ThreadLocalRandom.current().nextLong(),
          spec.service(),
          /* generate= */ null);
    }

    /** Slot s on executor s mod executors, as {@code moe infer} pins its slots. */
    private static List<String> slotLocations(SparkSession spark, int slots) {
      return PipelineRunner.slotLocations(ClusterProbe.executors(spark), slots);
    }
  }
}
