-- The criteria a conditional create (If-None-Exist, or a conditional update that creates) claimed, written in
-- the transaction that creates the resource. The primary key makes two concurrent creates with equivalent
-- criteria collide in the database: one commits, the other is refused and answers with the winner.
-- query_key is the normalized criteria; the key is its SHA-256, since criteria may be longer than an index key.
-- rid is dbo.resource.rid of the owner. A deletion removes its resource's rows; an owner changed so it no
-- longer matches is taken over by the next create.
CREATE TABLE dbo.conditional_key (
    type       nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    query_hash binary(32)    NOT NULL,
    query_key  nvarchar(max) NOT NULL,
    rid        bigint        NOT NULL,
    CONSTRAINT pk_conditional_key PRIMARY KEY CLUSTERED (type, query_hash)
);

CREATE INDEX ix_conditional_key_rid ON dbo.conditional_key (rid);
