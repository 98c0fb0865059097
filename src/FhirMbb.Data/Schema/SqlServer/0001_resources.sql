-- Every version of every resource, in the order it was written. The JSON is what goes on the wire.
-- type and id use a binary collation: FHIR ids are case-sensitive, SQL Server's default collation is not.
CREATE TABLE dbo.resource_version (
    seq          bigint IDENTITY(1, 1) NOT NULL,
    type         nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    id           nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    version      int            NOT NULL,
    last_updated bigint         NOT NULL, -- unix milliseconds, UTC, as on SQLite
    deleted      bit            NOT NULL,
    json         varbinary(max) NULL,
    CONSTRAINT pk_resource_version PRIMARY KEY CLUSTERED (seq),
    CONSTRAINT uq_resource_version UNIQUE (type, id, version)
);

CREATE INDEX ix_resource_version_type_seq ON dbo.resource_version (type, seq);

-- One row per resource: its current version. The optimistic version check is an UPDATE on this row,
-- and the unique (type, id) makes two concurrent creates of one id collide in the database.
CREATE TABLE dbo.resource (
    rid        bigint IDENTITY(1, 1) NOT NULL,
    type       nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    id         nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    version    int    NOT NULL,
    seq        bigint NOT NULL,
    deleted    bit    NOT NULL,
    patient_id nvarchar(64) COLLATE Latin1_General_100_BIN2 NULL,
    CONSTRAINT pk_resource PRIMARY KEY CLUSTERED (rid),
    CONSTRAINT uq_resource UNIQUE (type, id)
);

CREATE INDEX ix_resource_patient ON dbo.resource (patient_id, type) INCLUDE (seq, deleted);
