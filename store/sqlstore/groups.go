package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jmoiron/sqlx"

	"folkevakt/store"
)

type groupRow struct {
	ID          string         `db:"id"`
	OrgID       string         `db:"org_id"`
	DisplayName string         `db:"display_name"`
	ExternalID  string         `db:"external_id"`
	Attributes  sql.NullString `db:"attributes"`
	Version     int64          `db:"version"`
	CreatedAt   int64          `db:"created_at"`
	UpdatedAt   int64          `db:"updated_at"`
}

const (
	groupCols   = "g.id, g.org_id, g.display_name, g.external_id, g.attributes, g.version, g.created_at, g.updated_at"
	groupSelect = `SELECT ` + groupCols + ` FROM groups g `
)

func (r groupRow) domain() (store.Group, error) {
	return store.Group{ID: r.ID, OrgID: r.OrgID, DisplayName: r.DisplayName, ExternalID: r.ExternalID,
		Attributes: rawJSON(r.Attributes), Version: r.Version,
		CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt)}, nil
}

func validateGroup(g store.Group) error {
	if g.DisplayName == "" {
		return store.Invalid("displayName", "required")
	}
	return checkJSON("attributes", g.Attributes)
}

// CreateGroup creates g with its initial members in one transaction.
func (t *tenant) CreateGroup(ctx context.Context, g store.Group, members []string) (store.Group, error) {
	if g.ID == "" {
		g.ID = t.s.newID()
	}
	g.OrgID = t.org
	if err := validateGroup(g); err != nil {
		return store.Group{}, err
	}
	err := t.s.write(ctx, "create group", func(w *wtx) error {
		g.Version, g.CreatedAt, g.UpdatedAt = 1, w.now, w.now
		if _, err := w.exec(`INSERT INTO groups (id, org_id, display_name, display_name_ci, external_id, attributes,
			version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			g.ID, t.org, g.DisplayName, fold(g.DisplayName), g.ExternalID, nullJSON(g.Attributes),
			g.Version, micros(g.CreatedAt), micros(g.UpdatedAt)); err != nil {
			return err
		}
		if err := w.record(t.org, store.ActionCreate, store.EntityGroup, g.ID, nil, g); err != nil {
			return err
		}
		_, err := addMembers(w, t.org, g.ID, members)
		return err
	})
	return g, err
}

func (t *tenant) GetGroup(ctx context.Context, id string) (store.Group, error) {
	return readOne[store.Group, groupRow](ctx, t.s, "get group", groupSelect+`WHERE g.org_id = ? AND g.id = ?`, t.org, id)
}

func (t *tenant) ListGroups(ctx context.Context, q store.ListQuery) (store.Page[store.Group], error) {
	return listPage[store.Group, groupRow](ctx, t, "list groups", groupResource, groupCols, q)
}

func (t *tenant) UpdateGroup(ctx context.Context, id string, update func(store.Group) (store.Group, error)) (g store.Group, err error) {
	err = t.s.write(ctx, "update group", func(w *wtx) error {
		old, err := one[store.Group, groupRow](w.qtx, groupSelect+`WHERE g.org_id = ? AND g.id = ?`, t.org, id)
		if err != nil {
			return err
		}
		if g, err = update(old); err != nil {
			return err
		}
		g.ID, g.OrgID, g.CreatedAt = old.ID, old.OrgID, old.CreatedAt
		g.Version, g.UpdatedAt = old.Version+1, w.now
		if err := validateGroup(g); err != nil {
			return err
		}
		if _, err := w.exec(`UPDATE groups SET display_name = ?, display_name_ci = ?, external_id = ?, attributes = ?,
			version = ?, updated_at = ? WHERE org_id = ? AND id = ?`,
			g.DisplayName, fold(g.DisplayName), g.ExternalID, nullJSON(g.Attributes), g.Version,
			micros(g.UpdatedAt), t.org, id); err != nil {
			return err
		}
		return w.record(t.org, store.ActionUpdate, store.EntityGroup, id, old, g)
	})
	return g, err
}

// DeleteGroup deletes the group; memberships go by foreign-key cascade.
func (t *tenant) DeleteGroup(ctx context.Context, id string) error {
	return t.s.write(ctx, "delete group", func(w *wtx) error {
		old, err := one[store.Group, groupRow](w.qtx, groupSelect+`WHERE g.org_id = ? AND g.id = ?`, t.org, id)
		if err != nil {
			return err
		}
		return deleteSubject(w, t.org, store.SubjectGroup, "groups", store.EntityGroup, id, old)
	})
}

// --- memberships ---

// A membership call records one Change per direction with the ids that
// actually changed.

func (t *tenant) AddMembers(ctx context.Context, groupID string, userIDs []string) (added []string, err error) {
	err = t.s.write(ctx, "add members", func(w *wtx) error {
		if err := groupExists(w.qtx, t.org, groupID); err != nil {
			return err
		}
		if added, err = addMembers(w, t.org, groupID, userIDs); err != nil {
			return err
		}
		return touchGroup(w, t.org, groupID, len(added) > 0)
	})
	return added, err
}

func (t *tenant) RemoveMembers(ctx context.Context, groupID string, userIDs []string) (removed []string, err error) {
	err = t.s.write(ctx, "remove members", func(w *wtx) error {
		if err := groupExists(w.qtx, t.org, groupID); err != nil {
			return err
		}
		if removed, err = removeMembers(w, t.org, groupID, userIDs); err != nil {
			return err
		}
		return touchGroup(w, t.org, groupID, len(removed) > 0)
	})
	return removed, err
}

func (t *tenant) ReplaceMembers(ctx context.Context, groupID string, userIDs []string) (added, removed []string, err error) {
	err = t.s.write(ctx, "replace members", func(w *wtx) error {
		if err := groupExists(w.qtx, t.org, groupID); err != nil {
			return err
		}
		var current []string
		if err := w.sel(&current, `SELECT user_id FROM memberships WHERE org_id = ? AND group_id = ?`, t.org, groupID); err != nil {
			return err
		}
		keep := make(map[string]bool, len(userIDs))
		for _, id := range userIDs {
			keep[id] = true
		}
		var drop []string
		for _, id := range current {
			if !keep[id] {
				drop = append(drop, id)
			}
		}
		if added, err = addMembers(w, t.org, groupID, userIDs); err != nil {
			return err
		}
		if removed, err = removeMembers(w, t.org, groupID, drop); err != nil {
			return err
		}
		return touchGroup(w, t.org, groupID, len(added)+len(removed) > 0)
	})
	return added, removed, err
}

func (t *tenant) ListMembers(ctx context.Context, groupID string) (ids []string, err error) {
	err = t.s.read(ctx, "list members", func(q qtx) error {
		if err := groupExists(q, t.org, groupID); err != nil {
			return err
		}
		ids = []string{}
		return q.sel(&ids, `SELECT user_id FROM memberships WHERE org_id = ? AND group_id = ? ORDER BY user_id`, t.org, groupID)
	})
	return ids, err
}

func (t *tenant) ListUserGroups(ctx context.Context, userID string) (ids []string, err error) {
	err = t.s.read(ctx, "list user groups", func(q qtx) error {
		var n int
		if err := q.get(&n, `SELECT COUNT(*) FROM users WHERE org_id = ? AND id = ?`, t.org, userID); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("user: %w", store.ErrNotFound)
		}
		ids = []string{}
		return q.sel(&ids, `SELECT group_id FROM memberships WHERE org_id = ? AND user_id = ? ORDER BY group_id`, t.org, userID)
	})
	return ids, err
}

func groupExists(q qtx, org, id string) error {
	var n int
	if err := q.get(&n, `SELECT COUNT(*) FROM groups WHERE org_id = ? AND id = ?`, org, id); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("group: %w", store.ErrNotFound)
	}
	return nil
}

// inChunk bounds IN lists below every engine's parameter limit.
const inChunk = 500

// addMembers inserts the memberships that are missing, after checking in
// one indexed query per chunk that every user exists in the organisation.
// Cost follows len(userIDs), never the group size.
func addMembers(w *wtx, org, groupID string, userIDs []string) ([]string, error) {
	ids := dedupe(userIDs)
	for i := 0; i < len(ids); i += inChunk {
		chunk := ids[i:min(i+inChunk, len(ids))]
		q, args, err := sqlx.In(`SELECT COUNT(*) FROM users WHERE org_id = ? AND id IN (?)`, org, chunk)
		if err != nil {
			return nil, err
		}
		var n int
		if err := w.get(&n, q, args...); err != nil {
			return nil, err
		}
		if n != len(chunk) {
			return nil, fmt.Errorf("user: %w", store.ErrNotFound)
		}
	}
	return changeMembers(w, org, groupID, ids, store.ActionAddMembers,
		`INSERT INTO memberships (org_id, group_id, user_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`)
}

func removeMembers(w *wtx, org, groupID string, userIDs []string) ([]string, error) {
	return changeMembers(w, org, groupID, dedupe(userIDs), store.ActionRemoveMembers,
		`DELETE FROM memberships WHERE org_id = ? AND group_id = ? AND user_id = ?`)
}

// changeMembers runs stmt once per user id and records the ids it affected.
func changeMembers(w *wtx, org, groupID string, ids []string, action, stmt string) ([]string, error) {
	changed := []string{}
	if len(ids) == 0 {
		return changed, nil
	}
	ps, err := w.tx.PreparexContext(w.ctx, w.tx.Rebind(stmt))
	if err != nil {
		return nil, err
	}
	defer ps.Close()
	for _, id := range ids {
		res, err := ps.ExecContext(w.ctx, org, groupID, id)
		if err != nil {
			return nil, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, err
		} else if n > 0 {
			changed = append(changed, id)
		}
	}
	if len(changed) == 0 {
		return changed, nil
	}
	return changed, w.record(org, action, store.EntityMembership, groupID, nil, store.MembershipDelta{GroupID: groupID, UserIDs: changed})
}

// touchGroup bumps the group's Version and UpdatedAt after its members
// changed, so its SCIM meta (ETag, lastModified) moves.
func touchGroup(w *wtx, org, groupID string, changed bool) error {
	if !changed {
		return nil
	}
	_, err := w.exec(`UPDATE groups SET version = version + 1, updated_at = ? WHERE org_id = ? AND id = ?`,
		micros(w.now), org, groupID)
	return err
}

func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
