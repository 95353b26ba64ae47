package sqlstore

import (
	"context"
	"database/sql"

	"folkevakt/store"
)

type orgRow struct {
	ID            string         `db:"id"`
	OrgNumber     string         `db:"org_number"`
	Name          string         `db:"name"`
	Kommunenummer sql.NullString `db:"kommunenummer"`
	CreatedAt     int64          `db:"created_at"`
	Issuer        string         `db:"signin_issuer"`
	ClientID      string         `db:"signin_client_id"`
	Audience      string         `db:"signin_audience"`
	SecretFile    string         `db:"signin_client_secret_file"`
	ConsoleGroup  string         `db:"signin_console_group"`
}

const orgCols = "id, org_number, name, kommunenummer, created_at, signin_issuer, signin_client_id, signin_audience, signin_client_secret_file, signin_console_group"

func (r orgRow) domain() (store.Organisation, error) {
	k, err := parseList(r.Kommunenummer)
	return store.Organisation{ID: r.ID, OrgNumber: r.OrgNumber, Name: r.Name, Kommunenummer: k,
		CreatedAt: fromMicros(r.CreatedAt), SignIn: store.SignIn{Issuer: r.Issuer, ClientID: r.ClientID, Audience: r.Audience,
			ClientSecretFile: r.SecretFile, ConsoleGroup: r.ConsoleGroup}}, err
}

func validateOrg(o store.Organisation) error {
	if o.OrgNumber == "" {
		return store.Invalid("orgNumber", "required")
	}
	if o.Name == "" {
		return store.Invalid("name", "required")
	}
	return nil
}

// CreateOrganisation creates o and seeds the built-in service areas; a
// taken OrgNumber is ErrConflict.
func (s *Store) CreateOrganisation(ctx context.Context, o store.Organisation) (store.Organisation, error) {
	if o.ID == "" {
		o.ID = s.newID()
	}
	err := s.write(ctx, "create organisation", func(w *wtx) error {
		o.CreatedAt = w.now
		if err := validateOrg(o); err != nil {
			return err
		}
		si := o.SignIn
		if _, err := w.exec(`INSERT INTO organisations (`+orgCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			o.ID, o.OrgNumber, o.Name, listJSON(o.Kommunenummer), micros(o.CreatedAt),
			si.Issuer, si.ClientID, si.Audience, si.ClientSecretFile, si.ConsoleGroup); err != nil {
			return err
		}
		if err := w.record(o.ID, store.ActionCreate, store.EntityOrganisation, o.ID, nil, o); err != nil {
			return err
		}
		for _, a := range store.BuiltinServiceAreas() {
			a.Builtin = true
			if _, err := insertServiceArea(w, o.ID, a); err != nil {
				return err
			}
		}
		return nil
	})
	return o, err
}

const orgSelect = `SELECT ` + orgCols + ` FROM organisations `

// GetOrganisation returns the organisation with id.
func (s *Store) GetOrganisation(ctx context.Context, id string) (store.Organisation, error) {
	return readOne[store.Organisation, orgRow](ctx, s, "get organisation", orgSelect+`WHERE id = ?`, id)
}

// GetOrganisationByNumber returns the organisation with orgNumber.
func (s *Store) GetOrganisationByNumber(ctx context.Context, orgNumber string) (store.Organisation, error) {
	return readOne[store.Organisation, orgRow](ctx, s, "get organisation", orgSelect+`WHERE org_number = ?`, orgNumber)
}

// ListOrganisations returns all organisations by creation.
func (s *Store) ListOrganisations(ctx context.Context) ([]store.Organisation, error) {
	return readAll[store.Organisation, orgRow](ctx, s, "list organisations", orgSelect+`ORDER BY created_at, id`)
}

// UpdateOrganisation applies update to the organisation; ID and CreatedAt
// are kept.
func (s *Store) UpdateOrganisation(ctx context.Context, id string, update func(store.Organisation) (store.Organisation, error)) (o store.Organisation, err error) {
	err = s.write(ctx, "update organisation", func(w *wtx) error {
		old, err := one[store.Organisation, orgRow](w.qtx, orgSelect+`WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if o, err = update(old); err != nil {
			return err
		}
		o.ID, o.CreatedAt = old.ID, old.CreatedAt
		if err := validateOrg(o); err != nil {
			return err
		}
		si := o.SignIn
		if _, err := w.exec(`UPDATE organisations SET org_number = ?, name = ?, kommunenummer = ?, signin_issuer = ?,
			signin_client_id = ?, signin_audience = ?, signin_client_secret_file = ?, signin_console_group = ? WHERE id = ?`,
			o.OrgNumber, o.Name, listJSON(o.Kommunenummer), si.Issuer, si.ClientID, si.Audience, si.ClientSecretFile, si.ConsoleGroup, id); err != nil {
			return err
		}
		return w.record(id, store.ActionUpdate, store.EntityOrganisation, id, old, o)
	})
	return o, err
}

// row is a scanned table row that converts to its domain value T.
type row[T any] interface{ domain() (T, error) }

// one reads a single row; no row is ErrNotFound.
func one[T any, R row[T]](q qtx, query string, args ...any) (T, error) {
	var r R
	if err := q.get(&r, query, args...); err != nil {
		var zero T
		return zero, err
	}
	return r.domain()
}

// all reads every row of query.
func all[T any, R row[T]](q qtx, query string, args ...any) ([]T, error) {
	var rows []R
	if err := q.sel(&rows, query, args...); err != nil {
		return nil, err
	}
	out := make([]T, 0, len(rows))
	for _, r := range rows {
		t, err := r.domain()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// readOne and readAll run one or all in their own read transaction.
func readOne[T any, R row[T]](ctx context.Context, s *Store, op, query string, args ...any) (v T, err error) {
	err = s.read(ctx, op, func(q qtx) error {
		v, err = one[T, R](q, query, args...)
		return err
	})
	return v, err
}

func readAll[T any, R row[T]](ctx context.Context, s *Store, op, query string, args ...any) (v []T, err error) {
	err = s.read(ctx, op, func(q qtx) error {
		v, err = all[T, R](q, query, args...)
		return err
	})
	return v, err
}

// Tenant returns the organisation-scoped view.
func (s *Store) Tenant(orgID string) store.Tenant { return &tenant{s: s, org: orgID} }

// tenant scopes every query by org; a row of another organisation is
// indistinguishable from a missing one.
type tenant struct {
	s   *Store
	org string
}

var _ store.Tenant = (*tenant)(nil)

func (t *tenant) OrgID() string { return t.org }

// --- tokens ---

type tokenRow struct {
	ID        string `db:"id"`
	OrgID     string `db:"org_id"`
	Kind      string `db:"kind"`
	Name      string `db:"name"`
	Lookup    string `db:"lookup"`
	Hash      string `db:"hash"`
	CreatedAt int64  `db:"created_at"`
}

const tokenCols = "id, org_id, kind, name, lookup, hash, created_at"

func (r tokenRow) domain() (store.Token, error) {
	return store.Token{ID: r.ID, OrgID: r.OrgID, Kind: r.Kind, Name: r.Name, Lookup: r.Lookup, Hash: r.Hash,
		CreatedAt: fromMicros(r.CreatedAt)}, nil
}

func (t *tenant) CreateToken(ctx context.Context, tok store.Token) (store.Token, error) {
	if tok.ID == "" {
		tok.ID = t.s.newID()
	}
	tok.OrgID = t.org
	switch {
	case tok.Kind != store.TokenAdmin && tok.Kind != store.TokenSCIM:
		return store.Token{}, store.Invalid("kind", "must be %q or %q", store.TokenAdmin, store.TokenSCIM)
	case tok.Lookup == "" || tok.Hash == "":
		return store.Token{}, store.Invalid("hash", "lookup and hash are required")
	}
	err := t.s.write(ctx, "create token", func(w *wtx) error {
		tok.CreatedAt = w.now
		if _, err := w.exec(`INSERT INTO tokens (`+tokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			tok.ID, t.org, tok.Kind, tok.Name, tok.Lookup, tok.Hash, micros(tok.CreatedAt)); err != nil {
			return err
		}
		return w.record(t.org, store.ActionCreate, store.EntityToken, tok.ID, nil, tok)
	})
	return tok, err
}

const tokenSelect = `SELECT ` + tokenCols + ` FROM tokens `

func (t *tenant) ListTokens(ctx context.Context) ([]store.Token, error) {
	return readAll[store.Token, tokenRow](ctx, t.s, "list tokens", tokenSelect+`WHERE org_id = ? ORDER BY created_at, id`, t.org)
}

func (t *tenant) DeleteToken(ctx context.Context, id string) error {
	return t.s.write(ctx, "delete token", func(w *wtx) error {
		old, err := one[store.Token, tokenRow](w.qtx, tokenSelect+`WHERE org_id = ? AND id = ?`, t.org, id)
		if err != nil {
			return err
		}
		if _, err := w.exec(`DELETE FROM tokens WHERE org_id = ? AND id = ?`, t.org, id); err != nil {
			return err
		}
		return w.record(t.org, store.ActionDelete, store.EntityToken, id, old, nil)
	})
}

// FindTokens returns the tokens of any organisation with this lookup.
func (s *Store) FindTokens(ctx context.Context, lookup string) ([]store.Token, error) {
	return readAll[store.Token, tokenRow](ctx, s, "find tokens", tokenSelect+`WHERE lookup = ? ORDER BY created_at, id`, lookup)
}

// ResolveIntegration finds an integration of any organisation by id.
func (s *Store) ResolveIntegration(ctx context.Context, id string) (store.Integration, error) {
	return readOne[store.Integration, integrationRow](ctx, s, "resolve integration", integrationSelect+`WHERE id = ?`, id)
}

// ResolveRoleOrg returns the organisation of a role.
func (s *Store) ResolveRoleOrg(ctx context.Context, roleID string) (org string, err error) {
	err = s.read(ctx, "resolve role", func(q qtx) error {
		return q.get(&org, `SELECT org_id FROM roles WHERE id = ?`, roleID)
	})
	return org, err
}
