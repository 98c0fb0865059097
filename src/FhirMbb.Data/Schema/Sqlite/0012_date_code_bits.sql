-- A type's own date rows carry the bits of its code tokens (CodePairing.CodeBit: one of 63 bits per code), so a search
-- of a code and a date skips, inside the date indexes, the rows of resources that cannot have the code; only the others
-- are probed in ix_idx_token_code (SqliteSearchSql.DateDriver). At 1M Observations of four codes, a one-day code+date
-- page had probed ~200 rows of its day for 50 matches. Rows without bits (NULL: other parameters, and rows written
-- before this version until SqliteResourceStore.FileCodePairings fills them at start-up) are probed as before.
ALTER TABLE idx_date ADD COLUMN code_bits INTEGER;
DROP INDEX ix_idx_date_day;
DROP INDEX ix_idx_date_crossing;
CREATE INDEX ix_idx_date_day ON idx_date (param_id, (start_ms + 62135596800000) / 86400000, rid, start_ms, end_ms, code_bits)
WHERE (start_ms + 62135596800000) / 86400000 = (end_ms - 1 + 62135596800000) / 86400000;
CREATE INDEX ix_idx_date_crossing ON idx_date (param_id, rid, start_ms, end_ms, code_bits)
WHERE (start_ms + 62135596800000) / 86400000 <> (end_ms - 1 + 62135596800000) / 86400000;
INSERT INTO search_structure (name, ready) VALUES ('idx_date.code_bits', NOT EXISTS (SELECT 1 FROM resource));
