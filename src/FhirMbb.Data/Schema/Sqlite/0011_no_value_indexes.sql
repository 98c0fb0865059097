-- Quantity and number rows lose their value indexes. No search starts from them (SqliteSearchSql.DriverRank has no
-- rank for either type): a quantity or number condition is probed per candidate through the primary key (rid,
-- param_id, n), so the value indexes were only written, never read. They were the dearest index to write: a value is
-- a random key, so every row landed on a leaf of its own. In a Synthea ingest ix_idx_quantity_value took 31% of the
-- WAL frames of a group commit (~0.8 quantity rows per resource). The conditions of a chain or _has on these types
-- are probed too (SqliteSearchSql.Condition), as they would otherwise scan the table for want of the index.
DROP INDEX IF EXISTS ix_idx_quantity_value;
DROP INDEX IF EXISTS ix_idx_number_value;
