-- spark-moe from SQL: score a tokenized table with the expert-parallel pipeline and keep the results.
--
--   $SPARK_HOME/bin/spark-sql --jars spark-moe-<version>-all.jar \
--     --properties-file conf/spark-defaults-local-cpu.conf.template \
--     -d model=/models/moe-tiny -d input=/data/docs.parquet -d output=/data/scores-sql \
--     -f examples/moe_infer.sql
--
-- The jar registers spark-moe's SQL functions in every new session by itself. The tokenized table: an id column
-- (bigint, int or string) and a token column (array<int>), e.g. as `moe generate-tokens` writes it.
--
-- Beware: Spark replaces a variable whose name or value contains "token", "secret" or "password" with
-- "*********(redacted)" (spark.redaction.regex), so a path like /data/tokens.parquet cannot be passed this way:
-- name such files otherwise, or write the path in the script.

CREATE OR REPLACE TEMPORARY VIEW docs AS SELECT id, tokens FROM parquet.`${input}`;

-- The model's shape, and the table's size in tokens.
SELECT moe_model_info('${model}') AS model;
SELECT count(*) AS rows, sum(moe_num_tokens(tokens)) AS tokens FROM docs;

-- One pipeline run; CACHE TABLE keeps its result for the statements below.
DROP VIEW IF EXISTS scores;
CACHE TABLE scores AS SELECT * FROM moe_infer('${model}', 'docs', 'score');

SELECT id, score, num_tokens, score / greatest(num_tokens - 1, 1) AS mean_logprob
FROM scores ORDER BY mean_logprob DESC LIMIT 20;

INSERT OVERWRITE DIRECTORY '${output}' USING parquet SELECT * FROM scores;
