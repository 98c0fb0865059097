-- Date searches as index range scans. A date row is an interval [start_ms, end_ms); a bound such as
-- date=ge2025-03-01 says nothing about start_ms alone, so a plain index on start_ms cannot be ranged.
-- Most rows are short (an instant, a second, a day): for those, end_ms > x implies start_ms > x - 1 day,
-- which turns every prefix into a start_ms window (see SqliteSearchSql.DateWindow). Two kinds of rows
-- fall outside such a window and are kept findable on their own:
--   * long rows (periods, months, years; open-ended periods), through a partial index;
--   * resources with several rows for one parameter (Timing events, several dates), listed in
--     idx_date_multi, because date=ge..&date=lt.. may then be met by two different rows.

CREATE INDEX ix_idx_date_long ON idx_date (param_id, rid) WHERE start_ms < end_ms - 86400000;

CREATE TABLE idx_date_multi (
    param_id INTEGER NOT NULL,
    rid      INTEGER NOT NULL,
    PRIMARY KEY (param_id, rid)
) WITHOUT ROWID;

-- Kept by triggers, so the index writer needs no change: a second row for (rid, param_id) lists the
-- resource; once fewer than two remain (every rewrite deletes them all first) it is unlisted.
CREATE TRIGGER tr_idx_date_multi_insert AFTER INSERT ON idx_date
WHEN EXISTS (SELECT 1 FROM idx_date d WHERE d.rid = NEW.rid AND d.param_id = NEW.param_id AND d.n <> NEW.n)
BEGIN
    INSERT OR IGNORE INTO idx_date_multi (param_id, rid) VALUES (NEW.param_id, NEW.rid);
END;

CREATE TRIGGER tr_idx_date_multi_delete AFTER DELETE ON idx_date
WHEN (SELECT COUNT(*) FROM idx_date d WHERE d.rid = OLD.rid AND d.param_id = OLD.param_id) < 2
BEGIN
    DELETE FROM idx_date_multi WHERE param_id = OLD.param_id AND rid = OLD.rid;
END;

INSERT INTO idx_date_multi (param_id, rid)
SELECT param_id, rid FROM idx_date GROUP BY rid, param_id HAVING COUNT(*) > 1;
