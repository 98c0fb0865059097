-- The current version's time and facts on the resource row. Facts are what a reader derived from the version once
-- (ResourceWrite.Facts): for an Observation, its pain score facts (Evaluation.PainScoreFacts). $evaluate-block lists a
-- patient's diary with them. Rows written before this have none and are read from their JSON, as before.
ALTER TABLE dbo.resource ADD last_updated bigint NULL, facts varbinary(max) NULL;
