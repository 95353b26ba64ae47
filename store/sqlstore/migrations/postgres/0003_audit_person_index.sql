-- The person index of the audit log, bucketed by seq. audit_persons was
-- keyed by person alone, so every audit record inserted at a random place
-- of one index over the whole log: a page write per record, and a page
-- read once the index outgrew the cache. Keyed (org, bucket, person, seq),
-- new entries land in the current bucket of 4,096 records, and they are
-- written in bulk (see audit_index_state) rather than with every record.
CREATE TABLE audit_person_index (
    org_id TEXT NOT NULL,
    bucket BIGINT NOT NULL, -- seq / 4096
    person TEXT NOT NULL,
    seq    BIGINT NOT NULL,
    PRIMARY KEY (org_id, bucket, person, seq)
);
INSERT INTO audit_person_index (org_id, bucket, person, seq)
    SELECT org_id, seq / 4096, person, seq FROM audit_persons;
DROP TABLE audit_persons;

-- How far each organisation's log is indexed: records after indexed_seq
-- are indexed from the audit table itself before any person query, so the
-- index may lag (or lose its tail in a crash) without a query missing one.
CREATE TABLE audit_index_state (
    org_id      TEXT PRIMARY KEY REFERENCES organisations (id),
    indexed_seq BIGINT NOT NULL
);
INSERT INTO audit_index_state (org_id, indexed_seq)
    SELECT org_id, MAX(seq) FROM audit GROUP BY org_id;
