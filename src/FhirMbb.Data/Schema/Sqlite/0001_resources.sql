-- Every version of every resource, in the order it was written. The JSON is what goes on the wire.
CREATE TABLE resource_version (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    type         TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    last_updated INTEGER NOT NULL, -- unix milliseconds, UTC
    deleted      INTEGER NOT NULL,
    json         BLOB,
    UNIQUE (type, id, version)
);

CREATE INDEX ix_resource_version_type_seq ON resource_version (type, seq);

-- One row per resource: its current version. The optimistic version check is an UPDATE on this row,
-- and the unique (type, id) makes two concurrent creates of one id collide in the database.
CREATE TABLE resource (
    rid        INTEGER PRIMARY KEY,
    type       TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    deleted    INTEGER NOT NULL,
    patient_id TEXT,
    UNIQUE (type, id)
);

CREATE INDEX ix_resource_patient ON resource (patient_id, type) WHERE patient_id IS NOT NULL;
