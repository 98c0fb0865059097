-- Two things every date index row paid for on insert, which searches no longer need:
--   * ix_idx_date_end: since 0004 every date search starts from a start_ms window (or the long-row and
--     several-rows lists), and a condition that does not start the search is probed on the primary key;
--     an end_ms index was a second random-key B-tree written for every date row and read by no plan
--     the search SQL is built to take.
--   * tr_idx_date_multi_insert: the index writer inserts all of a resource's date rows at once, so it
--     lists a resource with several rows for one parameter itself (SqliteIndexWriter). The delete trigger
--     stays: it unlists the resource when its rows are rewritten.
DROP INDEX IF EXISTS ix_idx_date_end;
DROP TRIGGER IF EXISTS tr_idx_date_multi_insert;
