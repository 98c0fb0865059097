-- A patient's codes (0008) now carry what a page of them needs: the resource's current version (seq) and the first
-- and last start of its `date` parameter (the sort keys of _sort=date and _sort=-date). "patient=X&code=Y&_sort=-date"
-- (a pain diary, newest first) then reads the range, sorts it and joins the page's versions: no date probe and no
-- resource row per candidate, each of which sat on a page of its own. The key now names the type too: code parameters
-- are shared between types (an Observation's, a Condition's and a Procedure's `code` have one param_id), and the page
-- reads no resource row to tell them apart. The rows are refiled at start-up
-- (SqliteResourceStore.FileCodePairings), as for 0008; searches do not read the table until then.
DROP TABLE idx_patient_token;
CREATE TABLE idx_patient_token (
    pid        TEXT    NOT NULL,
    type       TEXT    NOT NULL,
    param_id   INTEGER NOT NULL,
    code       TEXT    NOT NULL,
    system     TEXT    NOT NULL,
    rid        INTEGER NOT NULL,
    seq        INTEGER NOT NULL, -- resource_version.seq of the current version
    date_first INTEGER,          -- MIN(start_ms) of the type's date rows; NULL without any
    date_last  INTEGER,          -- MAX(start_ms)
    PRIMARY KEY (pid, type, param_id, code, system, rid)
) WITHOUT ROWID;
UPDATE search_structure SET ready = NOT EXISTS (SELECT 1 FROM resource) WHERE name = 'idx_patient_token';
