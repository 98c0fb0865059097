-- The criteria a conditional create (If-None-Exist, or a conditional update that creates) claimed, written in
-- the transaction that creates the resource. The primary key makes two concurrent creates with equivalent
-- criteria collide in the database: one commits, the other is refused and answers with the winner.
-- query_key is the normalized criteria (ConditionalCriteria.ClaimKey); rid is resource.rid of the owner.
-- A deletion removes its resource's rows; an owner changed so it no longer matches is taken over by the next create.
CREATE TABLE conditional_key (
    type      TEXT    NOT NULL,
    query_key TEXT    NOT NULL,
    rid       INTEGER NOT NULL,
    PRIMARY KEY (type, query_key)
) WITHOUT ROWID;

CREATE INDEX ix_conditional_key_rid ON conditional_key (rid);
