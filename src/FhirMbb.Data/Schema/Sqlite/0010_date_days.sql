-- Date rows filed by UTC day, so a one-day date search reads its day's rows in rid order, the order of an unsorted
-- page, and stops once the page is full (SqliteSearchSql.DateDriver). Before, it read a start_ms window two days wide
-- (a row may start up to a day before the instant it covers), and SQLite put every rid of it into a temporary index
-- to walk them in rid order: at 1M Observations, ~5,500 window rows and 2,740 inserts for a page of 50.
--
-- A day is (start_ms + 62135596800000) / 86400000: the days since 0001-01-01, never negative for a FHIR date, so
-- SQLite's integer division is the floor. The rows are split in two by one rule:
--   * within one day (its first and last millisecond on the same day): ix_idx_date_day, by (param_id, day, rid), and
--     covering start_ms and end_ms, so the conditions are decided in the index;
--   * the others (longer than a day, across midnight UTC, open-ended): ix_idx_date_crossing, read whole for the
--     parameter as ix_idx_date_long was. It holds every row that index held.
-- Both indexes are partial on that rule, so each row is in exactly one of them.
DROP INDEX IF EXISTS ix_idx_date_window;
DROP INDEX IF EXISTS ix_idx_date_long;
CREATE INDEX ix_idx_date_day ON idx_date (param_id, (start_ms + 62135596800000) / 86400000, rid, start_ms, end_ms)
WHERE (start_ms + 62135596800000) / 86400000 = (end_ms - 1 + 62135596800000) / 86400000;
CREATE INDEX ix_idx_date_crossing ON idx_date (param_id, rid, start_ms, end_ms)
WHERE (start_ms + 62135596800000) / 86400000 <> (end_ms - 1 + 62135596800000) / 86400000;
