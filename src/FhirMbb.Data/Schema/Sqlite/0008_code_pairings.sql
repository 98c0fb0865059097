-- A type's code tokens paired with its patient and with its date (SearchIndexer.CodePairings), for the two searches a
-- clinic makes most: a patient's resources of one code ("patient=X&code=Y": a patient's pain scores) and the resources
-- of one code in a date window ("code=Y&date=ge..&date=lt.."). Each is then one range of one index, where it was a
-- probe of the code (or of the date) for every resource of the patient (or of the window), each on a page of its own.
-- A missing system or code is '' (a primary key column of a WITHOUT ROWID table cannot be NULL).

-- Each code token of a resource under each patient its `patient` parameter points to.
CREATE TABLE idx_patient_token (
    pid      TEXT    NOT NULL,
    param_id INTEGER NOT NULL,
    code     TEXT    NOT NULL,
    system   TEXT    NOT NULL,
    rid      INTEGER NOT NULL,
    PRIMARY KEY (pid, param_id, code, system, rid)
) WITHOUT ROWID;

-- Each code token of a resource with each value of its `date` parameter (as in idx_date: [start_ms, end_ms)).
CREATE TABLE idx_code_date (
    param_id INTEGER NOT NULL,
    code     TEXT    NOT NULL,
    system   TEXT    NOT NULL,
    start_ms INTEGER NOT NULL,
    end_ms   INTEGER NOT NULL,
    rid      INTEGER NOT NULL,
    PRIMARY KEY (param_id, code, system, start_ms, end_ms, rid)
) WITHOUT ROWID;

-- Search structures that hold only once built over every stored resource. The pairings come from the search parameter
-- registry, so the rows of resources stored before this script are filed by the server at start-up
-- (SqliteResourceStore.FileCodePairings), which then marks them ready; searches do not read them until then.
CREATE TABLE search_structure (
    name  TEXT PRIMARY KEY,
    ready INTEGER NOT NULL
);
INSERT INTO search_structure (name, ready)
SELECT name, NOT EXISTS (SELECT 1 FROM resource) FROM (SELECT 'idx_patient_token' AS name UNION ALL SELECT 'idx_code_date');
