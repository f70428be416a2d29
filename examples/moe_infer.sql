-- spark-moe from SQL: score a tokenized table with the scalar model functions and keep the results.
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

-- moe_score is an expression like any other: Spark batches its rows through the model, experts in-task on the
-- executors, and CACHE TABLE keeps the scores for the statements below.
DROP VIEW IF EXISTS scores;
CACHE TABLE scores AS
SELECT id, moe_score('${model}', tokens) AS score, moe_num_tokens(tokens) AS num_tokens FROM docs;

SELECT id, score, num_tokens, score / greatest(num_tokens - 1, 1) AS mean_logprob
FROM scores ORDER BY mean_logprob DESC LIMIT 20;

-- A filter before the model, and two calls on it in one pass: the next token after the longer rows.
SELECT id, moe_next_token('${model}', tokens).token AS next_token, moe_next_token('${model}', tokens).logprob AS logprob
FROM docs WHERE moe_num_tokens(tokens) >= 8 ORDER BY logprob DESC LIMIT 10;

-- A model too large for one executor runs its experts on expert servers started for the query and stopped when it
-- ends ('mode=service' forces it; it needs slots + 1 task slots), or through the expert-parallel pipeline:
-- SELECT id, moe_score('${model}', tokens, 'mode=service; slots=2') AS score FROM docs;
-- CACHE TABLE scores AS SELECT * FROM moe_infer('${model}', 'docs', 'score', 'placement=shared-layers');

-- Generation as an expression too (in-task): eight new tokens per row, greedy.
-- SELECT id, moe_generate('${model}', tokens, 'max-new-tokens=8').output_tokens AS continuation FROM docs LIMIT 5;

INSERT OVERWRITE DIRECTORY '${output}' USING parquet SELECT * FROM scores;
