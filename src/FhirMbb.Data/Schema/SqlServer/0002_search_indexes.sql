-- Search index: one narrow table per value type, rows of the current version only, keyed by resource.rid.
-- The same layout as on SQLite (Schema/Sqlite/0002_search_indexes.sql), in T-SQL.
--
-- Clustered on (rid, param_id, n): a write replaces a resource's rows with one range delete per table, and
-- a per-resource probe (EXISTS ... WHERE x.rid = r.rid AND x.param_id = @p) is one seek. The nonclustered
-- indexes lead with param_id and carry the clustered key (so rid) implicitly; INCLUDE columns let the
-- common searches answer from the index alone.
--
-- Collation: every text column is Latin1_General_100_BIN2, whatever the database's default. Folding for
-- string search (lower case, accents removed) is done once, in the application, into `normalized`, for
-- the stored values and the searched values alike, exactly as on SQLite; comparing the folded texts by
-- code point then gives the same matches and the same sort order on both providers, and keyset paging
-- compares cursor values with the same rule that ordered them. A _CI_AI collation on `normalized` would
-- fold a few more scripts, but would make results and page order depend on the server's collation.
-- `exact` (for :exact) and token codes and systems are case-sensitive, as FHIR wants.
--
-- Lengths keep every index key under SQL Server's 1,700-byte nonclustered limit; the writer cuts longer
-- values to fit (a value is longer than these only in pathological data).
--
-- param_id is a stable hash of the parameter code (see SearchParameterDefinition.StableId).
-- Every statement checks first, so the script is safe to run again by hand.

IF OBJECT_ID(N'dbo.idx_token', N'U') IS NULL
CREATE TABLE dbo.idx_token (
    rid      bigint NOT NULL,
    param_id int    NOT NULL,
    n        int    NOT NULL,
    system   nvarchar(450)  COLLATE Latin1_General_100_BIN2 NULL,
    code     nvarchar(256)  COLLATE Latin1_General_100_BIN2 NULL,
    text     nvarchar(1000) COLLATE Latin1_General_100_BIN2 NULL, -- normalized display/text, for :text
    CONSTRAINT pk_idx_token PRIMARY KEY CLUSTERED (rid, param_id, n)
);

IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.idx_token') AND name = N'ix_idx_token_code')
CREATE INDEX ix_idx_token_code ON dbo.idx_token (param_id, code, system);

IF OBJECT_ID(N'dbo.idx_string', N'U') IS NULL
CREATE TABLE dbo.idx_string (
    rid        bigint NOT NULL,
    param_id   int    NOT NULL,
    n          int    NOT NULL,
    normalized nvarchar(450)  COLLATE Latin1_General_100_BIN2 NOT NULL, -- lower case, accents removed
    exact      nvarchar(1000) COLLATE Latin1_General_100_BIN2 NOT NULL,
    CONSTRAINT pk_idx_string PRIMARY KEY CLUSTERED (rid, param_id, n)
);

-- Starts-with is a LIKE 'v%' seek on (param_id, normalized); :exact seeks on the folded value and checks exact here.
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.idx_string') AND name = N'ix_idx_string_value')
CREATE INDEX ix_idx_string_value ON dbo.idx_string (param_id, normalized) INCLUDE (exact);

IF OBJECT_ID(N'dbo.idx_date', N'U') IS NULL
CREATE TABLE dbo.idx_date (
    rid      bigint NOT NULL,
    param_id int    NOT NULL,
    n        int    NOT NULL,
    start_ms bigint NOT NULL, -- inclusive, unix ms
    end_ms   bigint NOT NULL, -- exclusive
    CONSTRAINT pk_idx_date PRIMARY KEY CLUSTERED (rid, param_id, n)
);

-- A range test reads both ends: each index carries the other end, so no lookup is needed.
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.idx_date') AND name = N'ix_idx_date_start')
CREATE INDEX ix_idx_date_start ON dbo.idx_date (param_id, start_ms) INCLUDE (end_ms);

IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.idx_date') AND name = N'ix_idx_date_end')
CREATE INDEX ix_idx_date_end ON dbo.idx_date (param_id, end_ms) INCLUDE (start_ms);

IF OBJECT_ID(N'dbo.idx_reference', N'U') IS NULL
CREATE TABLE dbo.idx_reference (
    rid               bigint NOT NULL,
    param_id          int    NOT NULL,
    n                 int    NOT NULL,
    target_type       nvarchar(64)  COLLATE Latin1_General_100_BIN2 NULL,
    target_id         nvarchar(64)  COLLATE Latin1_General_100_BIN2 NULL,
    url               nvarchar(800) COLLATE Latin1_General_100_BIN2 NULL, -- absolute references only
    identifier_system nvarchar(450) COLLATE Latin1_General_100_BIN2 NULL,
    identifier_value  nvarchar(256) COLLATE Latin1_General_100_BIN2 NULL,
    CONSTRAINT pk_idx_reference PRIMARY KEY CLUSTERED (rid, param_id, n)
);

-- Serves reference searches, _has, chains (joined back to resource on type and id) and _revinclude.
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.idx_reference') AND name = N'ix_idx_reference_target')
CREATE INDEX ix_idx_reference_target ON dbo.idx_reference (param_id, target_id, target_type);

IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.idx_reference') AND name = N'ix_idx_reference_url')
CREATE INDEX ix_idx_reference_url ON dbo.idx_reference (param_id, url) WHERE url IS NOT NULL;

IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.idx_reference') AND name = N'ix_idx_reference_identifier')
CREATE INDEX ix_idx_reference_identifier ON dbo.idx_reference (param_id, identifier_value) INCLUDE (identifier_system) WHERE identifier_value IS NOT NULL;

IF OBJECT_ID(N'dbo.idx_quantity', N'U') IS NULL
CREATE TABLE dbo.idx_quantity (
    rid      bigint NOT NULL,
    param_id int    NOT NULL,
    n        int    NOT NULL,
    value    float  NOT NULL,
    system   nvarchar(450) COLLATE Latin1_General_100_BIN2 NULL,
    code     nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL,
    unit     nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL,
    CONSTRAINT pk_idx_quantity PRIMARY KEY CLUSTERED (rid, param_id, n)
);

IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.idx_quantity') AND name = N'ix_idx_quantity_value')
CREATE INDEX ix_idx_quantity_value ON dbo.idx_quantity (param_id, value) INCLUDE (system, code, unit);

IF OBJECT_ID(N'dbo.idx_number', N'U') IS NULL
CREATE TABLE dbo.idx_number (
    rid      bigint NOT NULL,
    param_id int    NOT NULL,
    n        int    NOT NULL,
    value    float  NOT NULL,
    CONSTRAINT pk_idx_number PRIMARY KEY CLUSTERED (rid, param_id, n)
);

IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.idx_number') AND name = N'ix_idx_number_value')
CREATE INDEX ix_idx_number_value ON dbo.idx_number (param_id, value);

IF OBJECT_ID(N'dbo.idx_uri', N'U') IS NULL
CREATE TABLE dbo.idx_uri (
    rid      bigint NOT NULL,
    param_id int    NOT NULL,
    n        int    NOT NULL,
    value    nvarchar(800) COLLATE Latin1_General_100_BIN2 NOT NULL,
    CONSTRAINT pk_idx_uri PRIMARY KEY CLUSTERED (rid, param_id, n)
);

IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.idx_uri') AND name = N'ix_idx_uri_value')
CREATE INDEX ix_idx_uri_value ON dbo.idx_uri (param_id, value);

-- Table types for the writer (a resource's rows for one table go in one table-valued parameter, one
-- INSERT ... SELECT) and for the include queries (a set of resource rids). Columns in table order, rid
-- excluded: the writer's statement supplies it.
IF TYPE_ID(N'dbo.idx_token_rows') IS NULL
CREATE TYPE dbo.idx_token_rows AS TABLE (
    param_id int NOT NULL, n int NOT NULL PRIMARY KEY,
    system nvarchar(450) NULL, code nvarchar(256) NULL, text nvarchar(1000) NULL);

IF TYPE_ID(N'dbo.idx_string_rows') IS NULL
CREATE TYPE dbo.idx_string_rows AS TABLE (
    param_id int NOT NULL, n int NOT NULL PRIMARY KEY,
    normalized nvarchar(450) NOT NULL, exact nvarchar(1000) NOT NULL);

IF TYPE_ID(N'dbo.idx_date_rows') IS NULL
CREATE TYPE dbo.idx_date_rows AS TABLE (
    param_id int NOT NULL, n int NOT NULL PRIMARY KEY,
    start_ms bigint NOT NULL, end_ms bigint NOT NULL);

IF TYPE_ID(N'dbo.idx_reference_rows') IS NULL
CREATE TYPE dbo.idx_reference_rows AS TABLE (
    param_id int NOT NULL, n int NOT NULL PRIMARY KEY,
    target_type nvarchar(64) NULL, target_id nvarchar(64) NULL, url nvarchar(800) NULL,
    identifier_system nvarchar(450) NULL, identifier_value nvarchar(256) NULL);

IF TYPE_ID(N'dbo.idx_quantity_rows') IS NULL
CREATE TYPE dbo.idx_quantity_rows AS TABLE (
    param_id int NOT NULL, n int NOT NULL PRIMARY KEY,
    value float NOT NULL, system nvarchar(450) NULL, code nvarchar(128) NULL, unit nvarchar(128) NULL);

IF TYPE_ID(N'dbo.idx_number_rows') IS NULL
CREATE TYPE dbo.idx_number_rows AS TABLE (
    param_id int NOT NULL, n int NOT NULL PRIMARY KEY,
    value float NOT NULL);

IF TYPE_ID(N'dbo.idx_uri_rows') IS NULL
CREATE TYPE dbo.idx_uri_rows AS TABLE (
    param_id int NOT NULL, n int NOT NULL PRIMARY KEY,
    value nvarchar(800) NOT NULL);

IF TYPE_ID(N'dbo.rid_list') IS NULL
CREATE TYPE dbo.rid_list AS TABLE (rid bigint NOT NULL PRIMARY KEY);
