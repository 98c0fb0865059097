-- What a reader derived from a version once, stored beside its JSON (ResourceWrite.Facts): for an Observation, its
-- pain score facts (Evaluation.PainScoreFacts), so that $evaluate-block reads a patient's diary without the JSON.
-- Versions written before this have none and are read from their JSON, as before.
ALTER TABLE dbo.resource_version ADD facts varbinary(max) NULL;
