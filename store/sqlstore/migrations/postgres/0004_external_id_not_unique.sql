-- externalId is the client's identifier, which RFC 7643 gives no uniqueness:
-- Entra may send the same value for two users (issue 14). Identity is the
-- id folkevakt assigns. The index stays for Entra's externalId eq lookups,
-- with (created_at, id) so that a match comes back in listing order.
DROP INDEX users_external_id;
CREATE INDEX users_external_id ON users (org_id, external_id, created_at, id) WHERE external_id <> '';
DROP INDEX groups_external_id;
CREATE INDEX groups_external_id ON groups (org_id, external_id, created_at, id) WHERE external_id <> '';
