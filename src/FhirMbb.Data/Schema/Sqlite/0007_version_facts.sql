-- The current version's time and facts on the resource row. Facts are what a reader derived from the version once
-- (ResourceWrite.Facts): for an Observation, its pain score facts (Evaluation.PainScoreFacts). $evaluate-block lists a
-- patient's diary from these narrow rows alone, instead of a wide resource_version row (JSON included) per entry.
-- Rows written before this have neither; the listing reads their version row, as before.
ALTER TABLE resource ADD COLUMN last_updated INTEGER;
ALTER TABLE resource ADD COLUMN facts BLOB;
