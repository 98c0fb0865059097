-- A date search starts from a start_ms window on the date index and keeps the rows whose [start_ms, end_ms)
-- meets every condition (SqliteSearchSql.DateDriver). With end_ms outside the index, each row in the window
-- cost a seek into idx_date for it: at 1M Observations, code+date for one day spent ~3.7 ms a search in SQLite,
-- ~1.5 ms with this index, which answers the window alone. SQL Server's ix_idx_date_start has INCLUDE (end_ms).
CREATE INDEX IF NOT EXISTS ix_idx_date_window ON idx_date (param_id, start_ms, end_ms);
DROP INDEX IF EXISTS ix_idx_date_start;
