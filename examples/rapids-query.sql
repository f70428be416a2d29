-- spark-moe under the Spark RAPIDS Accelerator: long documents cut into windows on the GPU, scored by the
-- expert-parallel pipeline, the window scores summed per document on the GPU. Run by examples/rapids-query.sh:
--
--   examples/rapids-query.sh MODEL_DIR INPUT OUTPUT
--
-- INPUT: a tokenized Parquet table (id bigint, tokens array<int>), e.g. as `moe generate-tokens` writes it.

CREATE OR REPLACE TEMPORARY VIEW docs AS SELECT id, tokens FROM parquet.`${input}`;

-- On the GPU: the scan, moe_windows (a RapidsUDF) and the explode. 512 ids every 384: 128 ids of overlap.
CREATE OR REPLACE TEMPORARY VIEW windows AS
SELECT id * 10000 + pos AS id, window AS tokens
FROM docs LATERAL VIEW posexplode(moe_windows(tokens, 512, 384)) w AS pos, window;

SELECT count(*) AS windows, sum(moe_num_tokens(tokens)) AS ids FROM windows;

-- The pipeline (CPU or CUDA backend); then the sum per document, on the GPU again.
DROP VIEW IF EXISTS window_scores;
CACHE TABLE window_scores AS SELECT * FROM moe_infer('${model}', 'windows', 'score');

INSERT OVERWRITE DIRECTORY '${output}' USING parquet
SELECT id DIV 10000 AS id, sum(score) AS score, sum(num_tokens) AS num_tokens
FROM window_scores GROUP BY id DIV 10000;
