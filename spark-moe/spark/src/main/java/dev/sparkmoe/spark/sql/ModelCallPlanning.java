package dev.sparkmoe.spark.sql;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.ExperimentalMethods;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.SparkSessionExtensions;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.rules.Rule;
import org.apache.spark.sql.execution.SparkStrategy;

/**
 * Installs the batching of model calls: the optimizer rule {@link ExtractModelCalls} and the
 * planner strategy {@link ModelCallStrategy}, through the session extensions or, in a session that
 * exists already, its experimental methods.
 */
final class ModelCallPlanning {
  private ModelCallPlanning() {}

  static void inject(SparkSessionExtensions extensions) {
    extensions.injectOptimizerRule(spark -> new ExtractModelCalls());
    extensions.injectPlannerStrategy(spark -> new ModelCallStrategy());
  }

  /** Adds the rule and the strategy to {@code spark}'s experimental methods, once. */
  static void register(SparkSession spark) {
    ExperimentalMethods experimental = spark.experimental();
    synchronized (experimental) {
      List<Rule<LogicalPlan>> rules = ScalaUtil.list(experimental.extraOptimizations());
      if (rules.stream().noneMatch(r -> r instanceof ExtractModelCalls)) {
        List<Rule<LogicalPlan>> more = new ArrayList<>(rules);
        more.add(new ExtractModelCalls());
        experimental.extraOptimizations_$eq(ScalaUtil.seq(more));
      }
      List<SparkStrategy> strategies = ScalaUtil.list(experimental.extraStrategies());
      if (strategies.stream().noneMatch(s -> s instanceof ModelCallStrategy)) {
        List<SparkStrategy> more = new ArrayList<>(strategies);
        more.add(new ModelCallStrategy());
        experimental.extraStrategies_$eq(ScalaUtil.seq(more));
      }
    }
  }
}
