package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
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
		ids := dedupe(members)
		if err := usersExist(w, t.org, ids); err != nil {
			return err
		}
		_, err := changeMembers(w, t.org, g.ID, ids, store.ActionAddMembers,
			insertMember)
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

// Every membership call is a patch: one code path decides what changed,
// records one Change per direction naming only the ids that changed, and
// moves the group's Version once.

// PatchGroup applies p in one write transaction; see store.Tenant.
func (t *tenant) PatchGroup(ctx context.Context, id string, p store.GroupPatch) (g store.Group, added, removed []string, err error) {
	err = t.s.write(ctx, "patch group", func(w *wtx) error {
		g, added, removed, err = patchGroup(w, t.org, id, p)
		return err
	})
	if err != nil {
		return store.Group{}, nil, nil, err
	}
	return g, added, removed, nil
}

func (t *tenant) AddMembers(ctx context.Context, groupID string, userIDs []string) (added []string, err error) {
	err = t.s.write(ctx, "add members", func(w *wtx) error {
		_, added, _, err = patchGroup(w, t.org, groupID, store.GroupPatch{Add: userIDs})
		return err
	})
	return added, err
}

func (t *tenant) RemoveMembers(ctx context.Context, groupID string, userIDs []string) (removed []string, err error) {
	err = t.s.write(ctx, "remove members", func(w *wtx) error {
		_, _, removed, err = patchGroup(w, t.org, groupID, store.GroupPatch{Remove: userIDs})
		return err
	})
	return removed, err
}

func (t *tenant) ReplaceMembers(ctx context.Context, groupID string, userIDs []string) (added, removed []string, err error) {
	err = t.s.write(ctx, "replace members", func(w *wtx) error {
		_, added, removed, err = patchGroup(w, t.org, groupID, store.GroupPatch{Replace: true, Add: userIDs})
		return err
	})
	return added, removed, err
}

// patchGroup does the work of PatchGroup inside w. All input is checked
// before the first write so that bad input costs no write work; the
// transaction's rollback is what guarantees that nothing of a failed patch
// stays.
func patchGroup(w *wtx, org, id string, p store.GroupPatch) (g store.Group, added, removed []string, err error) {
	add, remove := dedupe(p.Add), dedupe(p.Remove)
	if p.Replace && len(remove) > 0 {
		return g, nil, nil, store.Invalid("members", "a replace takes no removals")
	}
	if len(remove) > 0 {
		adding := make(map[string]bool, len(add))
		for _, uid := range add {
			adding[uid] = true
		}
		for _, uid := range remove {
			if adding[uid] {
				return g, nil, nil, store.Invalid("members", "a user is both added and removed")
			}
		}
	}
	// The row is read even when only members change: it is returned, and a
	// lookup by primary key costs the same whatever the group's size.
	old, err := one[store.Group, groupRow](w.qtx, groupSelect+`WHERE g.org_id = ? AND g.id = ?`, org, id)
	if errors.Is(err, sql.ErrNoRows) {
		return g, nil, nil, fmt.Errorf("group: %w", store.ErrNotFound)
	} else if err != nil {
		return g, nil, nil, err
	}
	g = old
	if p.Update != nil {
		if g, err = p.Update(old); err != nil {
			return g, nil, nil, err
		}
		g.ID, g.OrgID, g.CreatedAt, g.Version, g.UpdatedAt = old.ID, old.OrgID, old.CreatedAt, old.Version, old.UpdatedAt
		if err := validateGroup(g); err != nil {
			return g, nil, nil, err
		}
	}
	if err := usersExist(w, org, add); err != nil {
		return g, nil, nil, err
	}
	if p.Replace {
		if remove, err = notIn(w, org, id, add); err != nil {
			return g, nil, nil, err
		}
	}

	// Rows are recorded in the order the separate calls used to record them:
	// group update, then additions, then removals.
	attrsChanged := g.DisplayName != old.DisplayName || g.ExternalID != old.ExternalID ||
		!bytes.Equal(g.Attributes, old.Attributes)
	if attrsChanged {
		g.Version, g.UpdatedAt = old.Version+1, w.now
		if _, err := w.exec(`UPDATE groups SET display_name = ?, display_name_ci = ?, external_id = ?, attributes = ?,
			version = ?, updated_at = ? WHERE org_id = ? AND id = ?`,
			g.DisplayName, fold(g.DisplayName), g.ExternalID, nullJSON(g.Attributes), g.Version,
			micros(g.UpdatedAt), org, id); err != nil {
			return g, nil, nil, err
		}
		if err := w.record(org, store.ActionUpdate, store.EntityGroup, id, old, g); err != nil {
			return g, nil, nil, err
		}
	}
	if added, err = changeMembers(w, org, id, add, store.ActionAddMembers,
		insertMember); err != nil {
		return g, nil, nil, err
	}
	if removed, err = changeMembers(w, org, id, remove, store.ActionRemoveMembers,
		deleteMember); err != nil {
		return g, nil, nil, err
	}
	// A membership change moves the group's SCIM meta (ETag, lastModified)
	// too, but a patch moves Version only once.
	if !attrsChanged && len(added)+len(removed) > 0 {
		g.Version, g.UpdatedAt = old.Version+1, w.now
		if _, err := w.exec(`UPDATE groups SET version = ?, updated_at = ? WHERE org_id = ? AND id = ?`,
			g.Version, micros(g.UpdatedAt), org, id); err != nil {
			return g, nil, nil, err
		}
	}
	return g, added, removed, nil
}

// notIn returns the current members of the group that are not in keep; a
// replace cannot avoid reading the member list.
func notIn(w *wtx, org, groupID string, keep []string) ([]string, error) {
	var current []string
	if err := w.sel(&current, `SELECT user_id FROM memberships WHERE org_id = ? AND group_id = ?`, org, groupID); err != nil {
		return nil, err
	}
	kept := make(map[string]bool, len(keep))
	for _, uid := range keep {
		kept[uid] = true
	}
	var drop []string
	for _, uid := range current {
		if !kept[uid] {
			drop = append(drop, uid)
		}
	}
	return drop, nil
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

// Per-member statements, prepared once per call by changeMembers.
const (
	insertMember = `INSERT INTO memberships (org_id, group_id, user_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`
	deleteMember = `DELETE FROM memberships WHERE org_id = ? AND group_id = ? AND user_id = ?`
)

// inChunk bounds IN lists below every engine's parameter limit.
const inChunk = 500

// usersExist checks, in one indexed query per chunk, that every id (already
// deduplicated) names a user of the organisation. An unknown id is the
// client's bad value, not a missing group, so it is a ValidationError on
// "members". Cost follows len(ids), never the group size.
func usersExist(w *wtx, org string, ids []string) error {
	for i := 0; i < len(ids); i += inChunk {
		chunk := ids[i:min(i+inChunk, len(ids))]
		q, args, err := sqlx.In(`SELECT COUNT(*) FROM users WHERE org_id = ? AND id IN (?)`, org, chunk)
		if err != nil {
			return err
		}
		var n int
		if err := w.get(&n, q, args...); err != nil {
			return err
		}
		if n != len(chunk) {
			return store.Invalid("members", "a member is not a known user")
		}
	}
	return nil
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
