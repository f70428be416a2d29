// Databricks notebook source
// MAGIC %md
// MAGIC # spark-moe: expert-parallel inference, step by step (Scala)
// MAGIC
// MAGIC Runs a Mixture-of-Experts model over a tokenized table with spark-moe: experts live on their own slots
// MAGIC (GPUs, or CPU task slots), tokens are shuffled to their experts and back, and every run reports how the
// MAGIC tokens spread over the experts.
// MAGIC
// MAGIC **Cluster**: Spark 3.5 (Scala 2.12, Java 17) with spark-moe's application jar `spark-moe-<version>-all.jar`
// MAGIC attached as a library, and the settings of one of the `conf/spark-defaults-*.conf.template` files in the
// MAGIC cluster's Spark config (on CPU, `spark-defaults-local-cpu.conf.template`'s `spark.moe.*` and Kryo lines are enough).
// MAGIC
// MAGIC 1. Load a model  2. A tokenized table  3. Inference  4. The per-expert load  5. Write the results

// COMMAND ----------

// Where the model is (a folder every node reads at the same path: a Unity Catalog volume, or /dbfs/...) and where
// the results go.
dbutils.widgets.text("model_path", "/Volumes/main/default/models/moe-tiny", "Model directory")
dbutils.widgets.text("output_path", "/Volumes/main/default/moe/scores", "Results")
val modelPath = dbutils.widgets.get("model_path")
val outputPath = dbutils.widgets.get("output_path")

// COMMAND ----------

// MAGIC %md
// MAGIC ## 1. Load a model
// MAGIC
// MAGIC A Hugging Face Mixtral checkpoint: `config.json` and `model.safetensors` (or sharded safetensors). Executors
// MAGIC memory-map only the experts they host. No model at hand? This cell writes spark-moe's synthetic `tiny` model
// MAGIC (2 layers x 8 experts, top-2, hidden 64) where the folder has none.

// COMMAND ----------

import java.nio.file.{Files, Paths}
import dev.sparkmoe.core.generate.{ModelGenerator, ModelSpec}
import dev.sparkmoe.core.model.MoeModel

if (!Files.exists(Paths.get(modelPath, "config.json"))) {
  new ModelGenerator(ModelSpec.Preset.TINY.spec()).writeTo(Paths.get(modelPath))
}
val config = {
  val model = MoeModel.open(Paths.get(modelPath))
  try model.config finally model.close()
}
println(s"${config.numLayers} layers x ${config.numExperts} experts (top-${config.topK}), " +
  s"hidden ${config.hiddenSize}, vocabulary ${config.vocabSize}")

// COMMAND ----------

// MAGIC %md
// MAGIC ## 2. A tokenized table
// MAGIC
// MAGIC Any table with an id column (bigint, int or string) and a token column (`array<int>`). Here: 64 rows of
// MAGIC synthetic token ids; with real text, tokenize upstream (for example with a pandas UDF and the model's
// MAGIC Hugging Face tokenizer) and keep the ids.

// COMMAND ----------

import org.apache.spark.sql.functions._

val docs = spark.range(0, 64, 1, 4)
  .withColumn("length", (rand(7) * 40 + 8).cast("int"))
  .withColumn("tokens",
    expr(s"transform(sequence(1, length), i -> cast(pmod(hash(id, i), ${config.vocabSize}) as int))"))
  .select("id", "tokens")
docs.createOrReplaceTempView("docs")
display(docs.select(col("id"), size(col("tokens")).as("tokens")))

// COMMAND ----------

// MAGIC %md
// MAGIC ## 3. Inference
// MAGIC
// MAGIC `MoeInference` runs the expert-parallel pipeline: per layer, token owners route their tokens, a shuffle
// MAGIC carries them to the experts' slots, and a second one brings the weighted outputs back. Outputs: `embedding`,
// MAGIC `next-token`, `score` (log-likelihood) or `hidden`. Settings not given here come from `spark.moe.*`.

// COMMAND ----------

import dev.sparkmoe.spark.pipeline.MoeInference

val run = MoeInference.of(modelPath)
  .idColumn("id")
  .tokensColumn("tokens")
  .kind("score")
  .run(spark.table("docs"))
val scores = run.rows
display(scores.orderBy(col("score").desc))

// COMMAND ----------

// MAGIC %md
// MAGIC ## 4. The per-expert load
// MAGIC
// MAGIC The run report counts the token-expert pairs every expert computed, per layer, and what each slot did. A
// MAGIC router sends some experts several times the mean load: the busiest slot sets each layer's pace (`balance`
// MAGIC is mean over busiest; 1 is perfect). Plot the first table as a bar chart (keys `expert`, groups `layer`).

// COMMAND ----------

import scala.collection.JavaConverters._

val report = run.report
val expertLoad = report.layers.asScala.toSeq.flatMap { layer =>
  layer.tokensPerExpert.toSeq.zipWithIndex.map { case (tokens, expert) => (layer.layer, expert, tokens) }
}.toDF("layer", "expert", "tokens")
display(expertLoad)
display(report.layers.asScala.toSeq.map(l => (l.layer, l.balance, l.wallSeconds)).toDF("layer", "balance", "seconds"))

// COMMAND ----------

// The same report with charts: tokens per expert per layer, load per slot, time per stage, throughput.
displayHTML(dev.sparkmoe.spark.report.HtmlReport.render(report))

// COMMAND ----------

// MAGIC %md
// MAGIC ## 5. Write the results
// MAGIC
// MAGIC The rows as Parquet, and the report beside them as JSON (what `moe infer` writes too).

// COMMAND ----------

scores.write.mode("overwrite").parquet(outputPath)
Files.write(Paths.get(outputPath + ".report.json"), report.toJson.getBytes("UTF-8"))
display(spark.read.parquet(outputPath).agg(count(lit(1)).as("rows"), avg(col("score")).as("mean score")))
