-- A patient's codes: each `code` token of a resource filed under each patient its `patient` parameter points to
-- (SearchIndexer.CodePairings). "patient=X&code=Y", a patient's pain scores or diagnoses of one code, then reads one
-- range of this table instead of probing the code of every resource of the patient, each on a page of its own.
-- A missing system or code is '' (a primary key column of a WITHOUT ROWID table cannot be NULL).
CREATE TABLE idx_patient_token (
    pid      TEXT    NOT NULL,
    param_id INTEGER NOT NULL,
    code     TEXT    NOT NULL,
    system   TEXT    NOT NULL,
    rid      INTEGER NOT NULL,
    PRIMARY KEY (pid, param_id, code, system, rid)
) WITHOUT ROWID;

-- Search structures that hold only once built over every stored resource. The pairing comes from the search parameter
-- registry, so the rows of resources stored before this script are filed by the server at start-up
-- (SqliteResourceStore.FileCodePairings), which then marks them ready; searches do not read them until then.
CREATE TABLE search_structure (
    name  TEXT PRIMARY KEY,
    ready INTEGER NOT NULL
);
INSERT INTO search_structure (name, ready) VALUES ('idx_patient_token', NOT EXISTS (SELECT 1 FROM resource));
