-- Databricks notebook source
-- MAGIC %md
-- MAGIC # spark-moe in SQL: inference over a table, the per-expert load, the results
-- MAGIC
-- MAGIC **Cluster**: Spark 3.5 (Scala 2.12, Java 17) with spark-moe's application jar `spark-moe-<version>-all.jar`
-- MAGIC attached as a library, and the settings of one of the `conf/spark-defaults-*.conf.template` files in the
-- MAGIC cluster's Spark config. The jar registers spark-moe's SQL functions in every new session by itself (a
-- MAGIC `SparkSessionExtensionsProvider`); in a session that started before the jar was attached, run
-- MAGIC `dev.sparkmoe.spark.sql.MoeFunctions.register(spark)` once in a Scala cell (from Python:
-- MAGIC `spark._jvm.dev.sparkmoe.spark.sql.MoeFunctions.register(spark._jsparkSession)`).
-- MAGIC
-- MAGIC Widgets: `model_path` is a model folder every node reads at the same path (a Unity Catalog volume, or
-- MAGIC `/dbfs/...`); `tokens_path` a tokenized table (`id`, `tokens array<int>`) in Parquet; `report_path` the run
-- MAGIC report of a `moe infer` job over that table (spark-submit writes `<output>.report.json`); `output_path`
-- MAGIC where this notebook's results go.
-- MAGIC
-- MAGIC 1. The model  2. The tokenized table  3. Inference  4. The per-expert load  5. Write the results

-- COMMAND ----------

CREATE WIDGET TEXT model_path DEFAULT '/Volumes/main/default/models/moe-tiny';
CREATE WIDGET TEXT tokens_path DEFAULT '/Volumes/main/default/moe/tokens.parquet';
CREATE WIDGET TEXT report_path DEFAULT '/Volumes/main/default/moe/scores.json.report.json';
CREATE WIDGET TEXT output_path DEFAULT '/Volumes/main/default/moe/scores-sql'

-- COMMAND ----------

-- MAGIC %md
-- MAGIC ## 1. The model
-- MAGIC
-- MAGIC A Hugging Face Mixtral checkpoint (`config.json` and safetensors). Its shape, as spark-moe reads it:

-- COMMAND ----------

SELECT model.* FROM (SELECT moe_model_info('${model_path}') AS model)

-- COMMAND ----------

-- MAGIC %md
-- MAGIC ## 2. The tokenized table
-- MAGIC
-- MAGIC Any table or view with an id column and a token column (`array<int>`): here Parquet files, as
-- MAGIC `moe generate-tokens` writes them, or as your tokenizer job does.

-- COMMAND ----------

CREATE OR REPLACE TEMPORARY VIEW docs AS
SELECT id, tokens FROM parquet.`${tokens_path}`;

SELECT count(*) AS rows, sum(size(tokens)) AS tokens, max(size(tokens)) AS longest FROM docs

-- COMMAND ----------

SELECT id, moe_num_tokens(tokens) AS num_tokens FROM docs ORDER BY num_tokens DESC LIMIT 10

-- COMMAND ----------

-- MAGIC %md
-- MAGIC ## 3. Inference
-- MAGIC
-- MAGIC `moe_infer(model, table, kind)` runs the expert-parallel pipeline over a table or view: per layer, token
-- MAGIC owners route their tokens, a shuffle carries them to the experts' slots and a second one brings the
-- MAGIC weighted outputs back. Kinds: `embedding`, `next-token`, `score` (log-likelihood), `hidden`. `CACHE TABLE`
-- MAGIC runs it once and keeps the result for the cells below.

-- COMMAND ----------

DROP VIEW IF EXISTS scores;
CACHE TABLE scores AS SELECT * FROM moe_infer('${model_path}', 'docs', 'score');

SELECT * FROM scores ORDER BY score DESC LIMIT 10

-- COMMAND ----------

-- MAGIC %md
-- MAGIC The scalar functions `moe_score`, `moe_embed` and `moe_next_token` put the model inside any query: Spark
-- MAGIC batches each partition's rows through it (experts in-task on the executors for a model that fits one, else on
-- MAGIC expert servers started for the query and stopped when it ends) and
-- MAGIC the filter, join or aggregate around the call plan as usual. `EXPLAIN` shows the `BatchModelCalls`
-- MAGIC operator. The scores are those of `moe_infer` on the same rows.

-- COMMAND ----------

SELECT id, moe_score('${model_path}', tokens) AS score, moe_next_token('${model_path}', tokens).token AS next_token
FROM docs WHERE moe_num_tokens(tokens) >= 8
ORDER BY score DESC LIMIT 10

-- COMMAND ----------

-- MAGIC %md
-- MAGIC ## 4. The per-expert load
-- MAGIC
-- MAGIC A `moe infer` job writes a run report beside its output: the token-expert pairs every expert computed per
-- MAGIC layer, what each slot did, bytes moved and stage times. Plot the first result as a bar chart (keys `expert`,
-- MAGIC groups `layer`): a router sends some experts several times the mean, and the busiest slot sets each
-- MAGIC layer's pace (`balance` is mean over busiest; 1 is perfect).

-- COMMAND ----------

CREATE OR REPLACE TEMPORARY VIEW run_report
USING json OPTIONS (path '${report_path}', multiLine 'true');

SELECT l.layer, e.expert, e.tokens
FROM run_report
LATERAL VIEW explode(layers) ls AS l
LATERAL VIEW posexplode(l.tokensPerExpert) e AS expert, tokens
ORDER BY l.layer, e.expert

-- COMMAND ----------

SELECT l.layer, r.slot, r.executorId AS executor, r.tokens, round(r.computeSeconds, 3) AS compute_s,
       round(l.balance, 2) AS layer_balance
FROM run_report
LATERAL VIEW explode(layers) ls AS l
LATERAL VIEW explode(l.slots) rs AS r
ORDER BY l.layer, r.slot

-- COMMAND ----------

SELECT placement, backend, rows, tokens, round(wallSeconds, 1) AS seconds, round(tokensPerSecond) AS tokens_per_s
FROM run_report

-- COMMAND ----------

-- MAGIC %md
-- MAGIC ## 5. Write the results
-- MAGIC
-- MAGIC As a table, and as Parquet files at `output_path`. (On Databricks, `USING delta` makes it a Delta table.)

-- COMMAND ----------

DROP TABLE IF EXISTS moe_scores;
CREATE TABLE moe_scores USING parquet AS SELECT * FROM scores;
INSERT OVERWRITE DIRECTORY '${output_path}' USING parquet SELECT * FROM scores;

SELECT count(*) AS rows, avg(score) AS mean_score FROM moe_scores
