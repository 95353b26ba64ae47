-- Uttrekk jobs ordered through the gateway: who may fetch their batches.
-- FREG's job ids are bearer capabilities, so the owner is kept durably
-- (a restart or another instance must still know it).
CREATE TABLE extract_jobs (
    job_id     TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organisations (id),
    role_id    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX extract_jobs_expiry ON extract_jobs (expires_at);
