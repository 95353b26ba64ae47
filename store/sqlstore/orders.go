package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"folkevakt/store"
)

// List orders are job state, not policy: they record no Change (store has
// no entity for them) and trigger no OnChange hooks.

type orderRow struct {
	ID          string         `db:"id"`
	OrgID       string         `db:"org_id"`
	RoleID      string         `db:"role_id"`
	SubjectKind string         `db:"subject_kind"`
	SubjectID   string         `db:"subject_id"`
	Criteria    sql.NullString `db:"criteria"`
	Elements    sql.NullString `db:"elements"`
	Format      string         `db:"format"`
	Status      string         `db:"status"`
	Done        int            `db:"done"`
	Total       int            `db:"total"`
	Rows        int            `db:"rows"`
	File        string         `db:"file"`
	Error       string         `db:"error"`
	CreatedAt   int64          `db:"created_at"`
	UpdatedAt   int64          `db:"updated_at"`
	FinishedAt  *int64         `db:"finished_at"`
	ExpiresAt   *int64         `db:"expires_at"`
}

const (
	orderCols = `id, org_id, role_id, subject_kind, subject_id, criteria, elements, format, status, done, total, rows,
	file, error, created_at, updated_at, finished_at, expires_at`
	orderSelect = `SELECT ` + orderCols + ` FROM list_orders `
	orderOrder  = ` ORDER BY created_at, id`
)

func (r orderRow) domain() (store.ListOrder, error) {
	e, err := parseList(r.Elements)
	return store.ListOrder{ID: r.ID, OrgID: r.OrgID, RoleID: r.RoleID, SubjectKind: r.SubjectKind,
		SubjectID: r.SubjectID, Criteria: rawJSON(r.Criteria), Elements: e, Format: r.Format, Status: r.Status,
		Done: r.Done, Total: r.Total, Rows: r.Rows, File: r.File, Error: r.Error, CreatedAt: fromMicros(r.CreatedAt),
		UpdatedAt: fromMicros(r.UpdatedAt), FinishedAt: fromMicrosPtr(r.FinishedAt), ExpiresAt: fromMicrosPtr(r.ExpiresAt)}, err
}

func checkOrder(o *store.ListOrder) error {
	if o.RoleID == "" {
		return store.Invalid("roleId", "required")
	}
	if o.Status == "" {
		o.Status = store.OrderQueued
	}
	o.FinishedAt, o.ExpiresAt = truncPtr(o.FinishedAt), truncPtr(o.ExpiresAt)
	return checkJSON("criteria", o.Criteria)
}

func truncPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

// CreateListOrder stores o; an empty Status means queued.
func (t *tenant) CreateListOrder(ctx context.Context, o store.ListOrder) (store.ListOrder, error) {
	if o.ID == "" {
		o.ID = t.s.newID()
	}
	o.OrgID = t.org
	if err := checkOrder(&o); err != nil {
		return store.ListOrder{}, err
	}
	err := t.s.write(ctx, "create list order", func(w *wtx) error {
		o.CreatedAt, o.UpdatedAt = w.now, w.now
		_, err := w.exec(`INSERT INTO list_orders (`+orderCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			o.ID, t.org, o.RoleID, o.SubjectKind, o.SubjectID, nullJSON(o.Criteria), listJSON(o.Elements), o.Format,
			o.Status, o.Done, o.Total, o.Rows, o.File, o.Error, micros(o.CreatedAt), micros(o.UpdatedAt),
			microsPtr(o.FinishedAt), microsPtr(o.ExpiresAt))
		return err
	})
	return o, err
}

func (t *tenant) GetListOrder(ctx context.Context, id string) (store.ListOrder, error) {
	return readOne[store.ListOrder, orderRow](ctx, t.s, "get list order", orderSelect+`WHERE org_id = ? AND id = ?`, t.org, id)
}

func (t *tenant) ListListOrders(ctx context.Context, q store.ListOrderQuery) ([]store.ListOrder, error) {
	where, args := conds{}.eq("org_id", t.org).eq("subject_kind", q.SubjectKind).eq("subject_id", q.SubjectID).
		eq("status", q.Status).sql()
	return readAll[store.ListOrder, orderRow](ctx, t.s, "list list orders", orderSelect+where+orderOrder, args...)
}

func (t *tenant) UpdateListOrder(ctx context.Context, id string, update func(store.ListOrder) (store.ListOrder, error)) (o store.ListOrder, err error) {
	err = t.s.write(ctx, "update list order", func(w *wtx) error {
		old, err := one[store.ListOrder, orderRow](w.qtx, orderSelect+`WHERE org_id = ? AND id = ?`, t.org, id)
		if err != nil {
			return err
		}
		if o, err = update(old); err != nil {
			return err
		}
		o.ID, o.OrgID, o.CreatedAt, o.UpdatedAt = old.ID, old.OrgID, old.CreatedAt, w.now
		if err := checkOrder(&o); err != nil {
			return err
		}
		_, err = w.exec(`UPDATE list_orders SET role_id = ?, subject_kind = ?, subject_id = ?, criteria = ?, elements = ?,
			format = ?, status = ?, done = ?, total = ?, rows = ?, file = ?, error = ?, updated_at = ?, finished_at = ?,
			expires_at = ? WHERE org_id = ? AND id = ?`,
			o.RoleID, o.SubjectKind, o.SubjectID, nullJSON(o.Criteria), listJSON(o.Elements), o.Format, o.Status,
			o.Done, o.Total, o.Rows, o.File, o.Error, micros(o.UpdatedAt), microsPtr(o.FinishedAt),
			microsPtr(o.ExpiresAt), t.org, id)
		return err
	})
	return o, err
}

// UnfinishedListOrders returns queued and running orders of every
// organisation.
func (s *Store) UnfinishedListOrders(ctx context.Context) ([]store.ListOrder, error) {
	return readAll[store.ListOrder, orderRow](ctx, s, "unfinished list orders",
		orderSelect+`WHERE status IN (?, ?)`+orderOrder, store.OrderQueued, store.OrderRunning)
}

// ExpiredListOrders returns orders of every organisation that expired
// before t and are not yet marked expired (status expired means the file is
// gone).
func (s *Store) ExpiredListOrders(ctx context.Context, t time.Time) ([]store.ListOrder, error) {
	return readAll[store.ListOrder, orderRow](ctx, s, "expired list orders",
		orderSelect+`WHERE expires_at < ? AND status <> ?`+orderOrder, micros(t), store.OrderExpired)
}
