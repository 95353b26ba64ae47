package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"folkevakt/store"
)

// fold is the case folding behind every case-insensitive comparison; the
// *_ci columns store fold(value).
func fold(s string) string { return strings.ToLower(s) }

type userRow struct {
	ID          string         `db:"id"`
	OrgID       string         `db:"org_id"`
	UserName    string         `db:"user_name"`
	ExternalID  string         `db:"external_id"`
	DisplayName string         `db:"display_name"`
	Active      bool           `db:"active"`
	Attributes  sql.NullString `db:"attributes"`
	Version     int64          `db:"version"`
	CreatedAt   int64          `db:"created_at"`
	UpdatedAt   int64          `db:"updated_at"`
}

const (
	userCols   = "u.id, u.org_id, u.user_name, u.external_id, u.display_name, u.active, u.attributes, u.version, u.created_at, u.updated_at"
	userSelect = `SELECT ` + userCols + ` FROM users u `
)

func (r userRow) domain() (store.User, error) {
	return store.User{ID: r.ID, OrgID: r.OrgID, UserName: r.UserName, ExternalID: r.ExternalID,
		DisplayName: r.DisplayName, Active: r.Active, Attributes: rawJSON(r.Attributes), Version: r.Version,
		CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt)}, nil
}

func validateUser(u store.User) error {
	if u.UserName == "" {
		return store.Invalid("userName", "required")
	}
	return checkJSON("attributes", u.Attributes)
}

func (t *tenant) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	if u.ID == "" {
		u.ID = t.s.newID()
	}
	u.OrgID = t.org
	if err := validateUser(u); err != nil {
		return store.User{}, err
	}
	err := t.s.write(ctx, "create user", func(w *wtx) error { return insertUser(w, &u) })
	return u, err
}

// insertUser stores a validated u (ID and OrgID set) and records it.
func insertUser(w *wtx, u *store.User) error {
	u.Version, u.CreatedAt, u.UpdatedAt = 1, w.now, w.now
	if _, err := w.exec(`INSERT INTO users (id, org_id, user_name, user_name_ci, external_id, display_name,
		display_name_ci, active, attributes, version, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.OrgID, u.UserName, fold(u.UserName), u.ExternalID, u.DisplayName, fold(u.DisplayName), u.Active,
		nullJSON(u.Attributes), u.Version, micros(u.CreatedAt), micros(u.UpdatedAt)); err != nil {
		return err
	}
	return w.record(u.OrgID, store.ActionCreate, store.EntityUser, u.ID, nil, *u)
}

func (t *tenant) getUser(ctx context.Context, where string, arg string) (store.User, error) {
	return readOne[store.User, userRow](ctx, t.s, "get user", userSelect+`WHERE u.org_id = ? AND `+where, t.org, arg)
}

func (t *tenant) GetUser(ctx context.Context, id string) (store.User, error) {
	return t.getUser(ctx, "u.id = ?", id)
}

func (t *tenant) GetUserByUserName(ctx context.Context, userName string) (store.User, error) {
	return t.getUser(ctx, "u.user_name_ci = ?", fold(userName))
}

func (t *tenant) GetUserByExternalID(ctx context.Context, externalID string) (store.User, error) {
	if externalID == "" {
		return store.User{}, store.ErrNotFound
	}
	// Two rows suffice to tell one user from several.
	users, err := readAll[store.User, userRow](ctx, t.s, "get user", userSelect+
		`WHERE u.org_id = ? AND u.external_id = ? ORDER BY u.created_at, u.id LIMIT 2`, t.org, externalID)
	if err != nil {
		return store.User{}, err
	}
	if len(users) != 1 {
		return store.User{}, store.ErrNotFound
	}
	return users[0], nil
}

func (t *tenant) ListUsers(ctx context.Context, q store.ListQuery) (store.Page[store.User], error) {
	return listPage[store.User, userRow](ctx, t, "list users", userResource, userCols, q)
}

func (t *tenant) UpdateUser(ctx context.Context, id string, update func(store.User) (store.User, error)) (u store.User, err error) {
	err = t.s.write(ctx, "update user", func(w *wtx) error {
		old, err := one[store.User, userRow](w.qtx, userSelect+`WHERE u.org_id = ? AND u.id = ?`, t.org, id)
		if err != nil {
			return err
		}
		if u, err = update(old); err != nil {
			return err
		}
		u.ID, u.OrgID, u.CreatedAt = old.ID, old.OrgID, old.CreatedAt
		u.Version, u.UpdatedAt = old.Version+1, w.now
		if err := validateUser(u); err != nil {
			return err
		}
		if _, err := w.exec(`UPDATE users SET user_name = ?, user_name_ci = ?, external_id = ?, display_name = ?,
			display_name_ci = ?, active = ?, attributes = ?, version = ?, updated_at = ? WHERE org_id = ? AND id = ?`,
			u.UserName, fold(u.UserName), u.ExternalID, u.DisplayName, fold(u.DisplayName), u.Active,
			nullJSON(u.Attributes), u.Version, micros(u.UpdatedAt), t.org, id); err != nil {
			return err
		}
		return w.record(t.org, store.ActionUpdate, store.EntityUser, id, old, u)
	})
	return u, err
}

// DeleteUser deletes the user; memberships go by foreign-key cascade,
// grants explicitly.
func (t *tenant) DeleteUser(ctx context.Context, id string) error {
	return t.s.write(ctx, "delete user", func(w *wtx) error {
		old, err := one[store.User, userRow](w.qtx, userSelect+`WHERE u.org_id = ? AND u.id = ?`, t.org, id)
		if err != nil {
			return err
		}
		return deleteSubject(w, t.org, store.SubjectUser, "users", store.EntityUser, id, old)
	})
}

// deleteSubject deletes a grant subject's row and its grants and records the
// deletion.
func deleteSubject(w *wtx, org, kind, table, entity, id string, old any) error {
	if _, err := w.exec(`DELETE FROM grants WHERE org_id = ? AND kind = ? AND subject_id = ?`, org, kind, id); err != nil {
		return err
	}
	if _, err := w.exec(`DELETE FROM `+table+` WHERE org_id = ? AND id = ?`, org, id); err != nil {
		return err
	}
	return w.record(org, store.ActionDelete, entity, id, old, nil)
}

// listPage runs a filtered, paged listing of users or groups in one read
// transaction, so Total and Items agree.
func listPage[T any, R row[T]](ctx context.Context, t *tenant, op string, res *resource, cols string, lq store.ListQuery) (store.Page[T], error) {
	where, args, err := compileFilter(t.s.d, res, lq.Filter)
	if err != nil {
		return store.Page[T]{}, err
	}
	offset, limit, start := page(lq.StartIndex, lq.Count)
	p := store.Page[T]{StartIndex: start, Items: []T{}}
	count, items := res.listSQL(cols, where)
	args = append([]any{t.org}, args...)
	err = t.s.read(ctx, op, func(q qtx) error {
		if err := q.get(&p.Total, count, args...); err != nil {
			return err
		}
		if limit == 0 || offset >= p.Total {
			return nil
		}
		p.Items, err = all[T, R](q, items, append(args, limit, offset)...)
		return err
	})
	return p, err
}

// listSQL returns the count and page queries of a listing; their
// arguments are the organisation, the filter's and (page only) limit and
// offset.
func (res *resource) listSQL(cols, where string) (count, items string) {
	from := ` FROM ` + res.table + ` ` + res.alias + ` WHERE ` + res.alias + `.org_id = ? AND (` + where + `)`
	return `SELECT COUNT(*)` + from,
		`SELECT ` + cols + from + ` ORDER BY ` + res.alias + `.created_at, ` + res.alias + `.id LIMIT ? OFFSET ?`
}
