-- Initial schema, as migrations/sqlite3/0001_init.sql: the same tables,
-- columns and indexes, so that the store's SQL is one text for both
-- engines. Times are microseconds since the Unix epoch (UTC), which
-- sorts, compares and round-trips exactly on every engine. Lists are JSON
-- text. Every row carries org_id; composite foreign keys on (org_id, id) make
-- cross-organisation links impossible.

CREATE TABLE organisations (
    id            TEXT PRIMARY KEY,
    org_number    TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    kommunenummer TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE tokens (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organisations (id),
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    lookup     TEXT NOT NULL,
    hash       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX tokens_lookup ON tokens (lookup);
CREATE INDEX tokens_org ON tokens (org_id, created_at, id);

-- *_ci columns hold the case-folded value (folded in Go) for
-- case-insensitive equality and prefix search through a plain index.
CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organisations (id),
    user_name       TEXT NOT NULL,
    user_name_ci    TEXT NOT NULL,
    external_id     TEXT NOT NULL,
    display_name    TEXT NOT NULL,
    display_name_ci TEXT NOT NULL,
    active          BOOLEAN NOT NULL,
    attributes      TEXT,
    version         BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (org_id, id)
);
CREATE UNIQUE INDEX users_user_name ON users (org_id, user_name_ci);
CREATE UNIQUE INDEX users_external_id ON users (org_id, external_id) WHERE external_id <> '';
-- Trailing (created_at, id) lets an equality search return rows in listing
-- order, so the planner never prefers the order index and a scan.
CREATE INDEX users_display_name ON users (org_id, display_name_ci, created_at, id);
CREATE INDEX users_order ON users (org_id, created_at, id);

CREATE TABLE groups (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organisations (id),
    display_name    TEXT NOT NULL,
    display_name_ci TEXT NOT NULL,
    external_id     TEXT NOT NULL,
    attributes      TEXT,
    version         BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (org_id, id)
);
CREATE UNIQUE INDEX groups_external_id ON groups (org_id, external_id) WHERE external_id <> '';
CREATE INDEX groups_display_name ON groups (org_id, display_name_ci, created_at, id);
CREATE INDEX groups_order ON groups (org_id, created_at, id);

CREATE TABLE memberships (
    org_id   TEXT NOT NULL,
    group_id TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    PRIMARY KEY (org_id, group_id, user_id),
    FOREIGN KEY (org_id, group_id) REFERENCES groups (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
CREATE INDEX memberships_user ON memberships (org_id, user_id);

CREATE TABLE service_areas (
    org_id               TEXT NOT NULL REFERENCES organisations (id),
    id                   TEXT NOT NULL,
    name                 TEXT NOT NULL,
    legal_basis          TEXT NOT NULL,
    confidential_allowed BOOLEAN NOT NULL,
    builtin              BOOLEAN NOT NULL,
    created_at           BIGINT NOT NULL,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE roles (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organisations (id),
    name             TEXT NOT NULL,
    description      TEXT NOT NULL,
    service_area_id  TEXT NOT NULL,
    usage            TEXT NOT NULL,
    purposes         TEXT NOT NULL,
    elements         TEXT NOT NULL,
    graded_addresses TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, service_area_id) REFERENCES service_areas (org_id, id)
);
CREATE INDEX roles_order ON roles (org_id, created_at, id);

CREATE TABLE integrations (
    id                  TEXT PRIMARY KEY,
    org_id              TEXT NOT NULL REFERENCES organisations (id),
    name                TEXT NOT NULL,
    org_number          TEXT NOT NULL,
    description         TEXT NOT NULL,
    password_hash       TEXT NOT NULL,
    password_changed_at BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX integrations_order ON integrations (org_id, created_at, id);

-- Subjects are referenced by id only (they live in three tables); deleting a
-- subject deletes its grants explicitly.
CREATE TABLE grants (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL,
    role_id    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    expires_at BIGINT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    FOREIGN KEY (org_id, role_id) REFERENCES roles (org_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX grants_unique ON grants (org_id, role_id, kind, subject_id);
CREATE INDEX grants_subject ON grants (org_id, kind, subject_id);

-- seq is global and never reused; the policy engine follows it.
CREATE TABLE changes (
    seq       BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    org_id    TEXT NOT NULL,
    time      BIGINT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before    TEXT,
    after     TEXT
);
CREATE INDEX changes_org ON changes (org_id, seq);
CREATE INDEX changes_entity ON changes (org_id, entity, entity_id, seq);

-- Hash-chained per organisation: seq counts 1, 2, 3 ... within org_id.
CREATE TABLE audit (
    org_id          TEXT NOT NULL REFERENCES organisations (id),
    seq             BIGINT NOT NULL,
    time            BIGINT NOT NULL,
    request_id      TEXT NOT NULL,
    subject_kind    TEXT NOT NULL,
    subject_id      TEXT NOT NULL,
    subject_name    TEXT NOT NULL,
    role_id         TEXT NOT NULL,
    service_area    TEXT NOT NULL,
    legal_basis     TEXT,
    purpose         TEXT NOT NULL,
    action          TEXT NOT NULL,
    persons         TEXT,
    criteria        TEXT,
    elements        TEXT,
    graded_revealed BOOLEAN NOT NULL,
    decision        TEXT NOT NULL,
    status          INTEGER NOT NULL,
    reason          TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL,
    PRIMARY KEY (org_id, seq)
);
CREATE INDEX audit_subject ON audit (org_id, subject_id, seq);
CREATE INDEX audit_role ON audit (org_id, role_id, seq);
CREATE INDEX audit_time ON audit (org_id, time);

-- One row per person an audit record touched, so "who looked at this
-- person" is an index search.
CREATE TABLE audit_persons (
    org_id TEXT NOT NULL,
    person TEXT NOT NULL,
    seq    BIGINT NOT NULL,
    PRIMARY KEY (org_id, person, seq),
    FOREIGN KEY (org_id, seq) REFERENCES audit (org_id, seq)
);

CREATE TABLE list_orders (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organisations (id),
    role_id      TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    criteria     TEXT,
    elements     TEXT NOT NULL,
    format       TEXT NOT NULL,
    status       TEXT NOT NULL,
    done         INTEGER NOT NULL,
    total        INTEGER NOT NULL,
    rows         INTEGER NOT NULL,
    file         TEXT NOT NULL,
    error        TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    finished_at  BIGINT,
    expires_at   BIGINT
);
CREATE INDEX list_orders_org ON list_orders (org_id, created_at, id);
CREATE INDEX list_orders_status ON list_orders (status);
CREATE INDEX list_orders_expires ON list_orders (expires_at);
