package sqlstore

import (
	"context"
	"errors"
	"time"

	"folkevakt/store"
)

// Extract jobs are gateway state, not policy: no Change, no OnChange hook.

type extractJobRow struct {
	JobID     string `db:"job_id"`
	OrgID     string `db:"org_id"`
	RoleID    string `db:"role_id"`
	CreatedAt int64  `db:"created_at"`
	ExpiresAt int64  `db:"expires_at"`
}

const extractJobSelect = `SELECT job_id, org_id, role_id, created_at, expires_at FROM extract_jobs `

func (r extractJobRow) domain() (store.ExtractJob, error) {
	return store.ExtractJob{ID: r.JobID, OrgID: r.OrgID, RoleID: r.RoleID,
		CreatedAt: fromMicros(r.CreatedAt), ExpiresAt: fromMicros(r.ExpiresAt)}, nil
}

// RecordExtractJob stores who ordered job j; expired jobs of every
// organisation are deleted in the same transaction, so the table holds
// live jobs only.
func (t *tenant) RecordExtractJob(ctx context.Context, j store.ExtractJob) (store.ExtractJob, error) {
	switch {
	case j.ID == "":
		return store.ExtractJob{}, store.Invalid("id", "required")
	case j.RoleID == "":
		return store.ExtractJob{}, store.Invalid("roleId", "required")
	case j.ExpiresAt.IsZero():
		return store.ExtractJob{}, store.Invalid("expiresAt", "required")
	}
	j.OrgID = t.org
	err := t.s.write(ctx, "record extract job", func(w *wtx) error {
		if _, err := w.exec(`DELETE FROM extract_jobs WHERE expires_at <= ?`, micros(w.now)); err != nil {
			return err
		}
		j.CreatedAt = w.now
		j.ExpiresAt = j.ExpiresAt.UTC().Truncate(time.Microsecond)
		_, err := w.exec(`INSERT INTO extract_jobs (job_id, org_id, role_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			j.ID, j.OrgID, j.RoleID, micros(j.CreatedAt), micros(j.ExpiresAt))
		return err
	})
	if err != nil {
		return store.ExtractJob{}, err
	}
	return j, nil
}

// GetExtractJob returns job id if this organisation ordered it and it has
// not expired; otherwise store.ErrNotFound.
func (t *tenant) GetExtractJob(ctx context.Context, id string) (store.ExtractJob, error) {
	j, err := readOne[store.ExtractJob, extractJobRow](ctx, t.s, "get extract job",
		extractJobSelect+`WHERE job_id = ? AND org_id = ? AND expires_at > ?`, id, t.org, micros(t.s.now()))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.ExtractJob{}, err
	}
	return j, err
}
