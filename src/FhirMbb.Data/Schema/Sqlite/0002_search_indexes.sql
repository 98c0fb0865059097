-- Search index: one narrow table per value type, rows of the current version only, keyed by resource.rid.
-- Clustered on (rid, param_id, n) so a write replaces a resource's rows with one range delete; the
-- secondary indexes lead with param_id and end (implicitly) with rid, so they cover the searches.
-- param_id is a stable hash of the parameter code (see SearchParameterDefinition.StableId).

CREATE TABLE idx_token (
    rid      INTEGER NOT NULL,
    param_id INTEGER NOT NULL,
    n        INTEGER NOT NULL,
    system   TEXT,
    code     TEXT,
    text     TEXT, -- normalized display/text, for :text
    PRIMARY KEY (rid, param_id, n)
) WITHOUT ROWID;
CREATE INDEX ix_idx_token_code ON idx_token (param_id, code, system);

CREATE TABLE idx_string (
    rid        INTEGER NOT NULL,
    param_id   INTEGER NOT NULL,
    n          INTEGER NOT NULL,
    normalized TEXT NOT NULL, -- lower case, accents removed
    exact      TEXT NOT NULL,
    PRIMARY KEY (rid, param_id, n)
) WITHOUT ROWID;
CREATE INDEX ix_idx_string_value ON idx_string (param_id, normalized);

CREATE TABLE idx_date (
    rid      INTEGER NOT NULL,
    param_id INTEGER NOT NULL,
    n        INTEGER NOT NULL,
    start_ms INTEGER NOT NULL, -- inclusive, unix ms
    end_ms   INTEGER NOT NULL, -- exclusive
    PRIMARY KEY (rid, param_id, n)
) WITHOUT ROWID;
CREATE INDEX ix_idx_date_start ON idx_date (param_id, start_ms);
CREATE INDEX ix_idx_date_end ON idx_date (param_id, end_ms);

CREATE TABLE idx_reference (
    rid              INTEGER NOT NULL,
    param_id         INTEGER NOT NULL,
    n                INTEGER NOT NULL,
    target_type      TEXT,
    target_id        TEXT,
    url              TEXT, -- absolute references only
    identifier_system TEXT,
    identifier_value TEXT,
    PRIMARY KEY (rid, param_id, n)
) WITHOUT ROWID;
CREATE INDEX ix_idx_reference_target ON idx_reference (param_id, target_id, target_type);
CREATE INDEX ix_idx_reference_url ON idx_reference (param_id, url) WHERE url IS NOT NULL;
CREATE INDEX ix_idx_reference_identifier ON idx_reference (param_id, identifier_value) WHERE identifier_value IS NOT NULL;

CREATE TABLE idx_quantity (
    rid      INTEGER NOT NULL,
    param_id INTEGER NOT NULL,
    n        INTEGER NOT NULL,
    value    REAL NOT NULL,
    system   TEXT,
    code     TEXT,
    unit     TEXT,
    PRIMARY KEY (rid, param_id, n)
) WITHOUT ROWID;
CREATE INDEX ix_idx_quantity_value ON idx_quantity (param_id, value);

CREATE TABLE idx_number (
    rid      INTEGER NOT NULL,
    param_id INTEGER NOT NULL,
    n        INTEGER NOT NULL,
    value    REAL NOT NULL,
    PRIMARY KEY (rid, param_id, n)
) WITHOUT ROWID;
CREATE INDEX ix_idx_number_value ON idx_number (param_id, value);

CREATE TABLE idx_uri (
    rid      INTEGER NOT NULL,
    param_id INTEGER NOT NULL,
    n        INTEGER NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (rid, param_id, n)
) WITHOUT ROWID;
CREATE INDEX ix_idx_uri_value ON idx_uri (param_id, value);
