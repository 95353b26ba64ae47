package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"folkevakt/store"
)

// --- service areas ---

type serviceAreaRow struct {
	OrgID               string         `db:"org_id"`
	ID                  string         `db:"id"`
	Name                string         `db:"name"`
	LegalBasis          sql.NullString `db:"legal_basis"`
	ConfidentialAllowed bool           `db:"confidential_allowed"`
	Builtin             bool           `db:"builtin"`
	CreatedAt           int64          `db:"created_at"`
}

const (
	serviceAreaSelect = `SELECT org_id, id, name, legal_basis, confidential_allowed, builtin, created_at FROM service_areas `
	serviceAreaList   = serviceAreaSelect + `WHERE org_id = ? ORDER BY id`
)

func (r serviceAreaRow) domain() (store.ServiceArea, error) {
	lb, err := parseList(r.LegalBasis)
	return store.ServiceArea{ID: r.ID, OrgID: r.OrgID, Name: r.Name, LegalBasis: lb,
		ConfidentialAllowed: r.ConfidentialAllowed, Builtin: r.Builtin, CreatedAt: fromMicros(r.CreatedAt)}, err
}

// insertServiceArea stores a and records its creation.
func insertServiceArea(w *wtx, org string, a store.ServiceArea) (store.ServiceArea, error) {
	if a.ID == "" || a.Name == "" {
		return a, store.Invalid("name", "id and name are required")
	}
	a.OrgID, a.CreatedAt = org, w.now
	if _, err := w.exec(`INSERT INTO service_areas (org_id, id, name, legal_basis, confidential_allowed, builtin, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, org, a.ID, a.Name, listJSON(a.LegalBasis), a.ConfidentialAllowed, a.Builtin,
		micros(a.CreatedAt)); err != nil {
		return a, err
	}
	return a, w.record(org, store.ActionCreate, store.EntityServiceArea, a.ID, nil, a)
}

// CreateServiceArea adds an organisation-specific service area (never
// Builtin); a taken id is ErrConflict.
func (t *tenant) CreateServiceArea(ctx context.Context, a store.ServiceArea) (out store.ServiceArea, err error) {
	if a.ID == "" {
		a.ID = t.s.newID()
	}
	a.Builtin = false
	err = t.s.write(ctx, "create service area", func(w *wtx) error {
		out, err = insertServiceArea(w, t.org, a)
		return err
	})
	return out, err
}

func (t *tenant) GetServiceArea(ctx context.Context, id string) (store.ServiceArea, error) {
	return readOne[store.ServiceArea, serviceAreaRow](ctx, t.s, "get service area", serviceAreaSelect+`WHERE org_id = ? AND id = ?`, t.org, id)
}

func (t *tenant) ListServiceAreas(ctx context.Context) ([]store.ServiceArea, error) {
	return readAll[store.ServiceArea, serviceAreaRow](ctx, t.s, "list service areas", serviceAreaList, t.org)
}

// --- roles ---

type roleRow struct {
	ID              string         `db:"id"`
	OrgID           string         `db:"org_id"`
	Name            string         `db:"name"`
	Description     string         `db:"description"`
	ServiceAreaID   string         `db:"service_area_id"`
	Usage           string         `db:"usage"`
	Purposes        sql.NullString `db:"purposes"`
	Elements        sql.NullString `db:"elements"`
	GradedAddresses string         `db:"graded_addresses"`
	CreatedAt       int64          `db:"created_at"`
	UpdatedAt       int64          `db:"updated_at"`
}

const (
	roleSelect = `SELECT id, org_id, name, description, service_area_id, usage, purposes, elements, graded_addresses,
	created_at, updated_at FROM roles `
	roleList = roleSelect + `WHERE org_id = ? ORDER BY created_at, id`
)

func (r roleRow) domain() (store.Role, error) {
	p, err := parseList(r.Purposes)
	if err != nil {
		return store.Role{}, err
	}
	e, err := parseList(r.Elements)
	return store.Role{ID: r.ID, OrgID: r.OrgID, Name: r.Name, Description: r.Description,
		ServiceAreaID: r.ServiceAreaID, Usage: r.Usage, Purposes: p, Elements: e, GradedAddresses: r.GradedAddresses,
		CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt)}, err
}

// checkRole enforces the role invariants the store can see; an empty
// GradedAddresses means hide. The service area must exist in the
// organisation.
func checkRole(q qtx, r *store.Role) error {
	if r.Name == "" {
		return store.Invalid("name", "required")
	}
	if r.Usage != store.UsageWebAndM2M && r.Usage != store.UsageM2M {
		return store.Invalid("usage", "must be %q or %q", store.UsageWebAndM2M, store.UsageM2M)
	}
	if r.GradedAddresses == "" {
		r.GradedAddresses = store.GradedHide
	}
	if r.GradedAddresses != store.GradedHide && r.GradedAddresses != store.GradedShow {
		return store.Invalid("gradedAddresses", "must be %q or %q", store.GradedHide, store.GradedShow)
	}
	for _, p := range r.Purposes {
		if !slices.Contains([]string{store.PurposeSearch, store.PurposeCitizenLists, store.PurposeEvents}, p) {
			return store.Invalid("purposes", "unknown purpose %q", p)
		}
	}
	var n int
	if err := q.get(&n, `SELECT COUNT(*) FROM service_areas WHERE org_id = ? AND id = ?`, r.OrgID, r.ServiceAreaID); err != nil {
		return err
	}
	if n == 0 {
		return store.Invalid("serviceArea", "unknown service area")
	}
	return nil
}

func (t *tenant) CreateRole(ctx context.Context, r store.Role) (store.Role, error) {
	if r.ID == "" {
		r.ID = t.s.newID()
	}
	err := t.s.write(ctx, "create role", func(w *wtx) error { return insertRole(w, t.org, &r) })
	return r, err
}

// insertRole stores r (whose ID is set) and records its creation.
func insertRole(w *wtx, org string, r *store.Role) error {
	r.OrgID = org
	r.CreatedAt, r.UpdatedAt = w.now, w.now
	if err := checkRole(w.qtx, r); err != nil {
		return err
	}
	if _, err := w.exec(`INSERT INTO roles (id, org_id, name, description, service_area_id, usage, purposes, elements,
		graded_addresses, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, org, r.Name, r.Description, r.ServiceAreaID, r.Usage, listJSON(r.Purposes), listJSON(r.Elements),
		r.GradedAddresses, micros(r.CreatedAt), micros(r.UpdatedAt)); err != nil {
		return err
	}
	return w.record(org, store.ActionCreate, store.EntityRole, r.ID, nil, *r)
}

func (t *tenant) GetRole(ctx context.Context, id string) (store.Role, error) {
	return readOne[store.Role, roleRow](ctx, t.s, "get role", roleSelect+`WHERE org_id = ? AND id = ?`, t.org, id)
}

func (t *tenant) ListRoles(ctx context.Context) ([]store.Role, error) {
	return readAll[store.Role, roleRow](ctx, t.s, "list roles", roleList, t.org)
}

func (t *tenant) UpdateRole(ctx context.Context, id string, update func(store.Role) (store.Role, error)) (r store.Role, err error) {
	err = t.s.write(ctx, "update role", func(w *wtx) error {
		r, err = updateRole(w, t.org, id, update)
		return err
	})
	return r, err
}

// updateRole is UpdateRole inside w.
func updateRole(w *wtx, org, id string, update func(store.Role) (store.Role, error)) (store.Role, error) {
	old, err := one[store.Role, roleRow](w.qtx, roleSelect+`WHERE org_id = ? AND id = ?`, org, id)
	if err != nil {
		return store.Role{}, err
	}
	r, err := update(old)
	if err != nil {
		return store.Role{}, err
	}
	r.ID, r.OrgID, r.CreatedAt, r.UpdatedAt = old.ID, old.OrgID, old.CreatedAt, w.now
	if err := checkRole(w.qtx, &r); err != nil {
		return store.Role{}, err
	}
	if _, err := w.exec(`UPDATE roles SET name = ?, description = ?, service_area_id = ?, usage = ?, purposes = ?,
		elements = ?, graded_addresses = ?, updated_at = ? WHERE org_id = ? AND id = ?`,
		r.Name, r.Description, r.ServiceAreaID, r.Usage, listJSON(r.Purposes), listJSON(r.Elements),
		r.GradedAddresses, micros(r.UpdatedAt), org, id); err != nil {
		return store.Role{}, err
	}
	return r, w.record(org, store.ActionUpdate, store.EntityRole, id, old, r)
}

// DeleteRole deletes the role; its grants go by foreign-key cascade.
func (t *tenant) DeleteRole(ctx context.Context, id string) error {
	return t.s.write(ctx, "delete role", func(w *wtx) error { return deleteRole(w, t.org, id) })
}

func deleteRole(w *wtx, org, id string) error {
	old, err := one[store.Role, roleRow](w.qtx, roleSelect+`WHERE org_id = ? AND id = ?`, org, id)
	if err != nil {
		return err
	}
	if _, err := w.exec(`DELETE FROM roles WHERE org_id = ? AND id = ?`, org, id); err != nil {
		return err
	}
	return w.record(org, store.ActionDelete, store.EntityRole, id, old, nil)
}

// --- integrations ---

type integrationRow struct {
	ID                string `db:"id"`
	OrgID             string `db:"org_id"`
	Name              string `db:"name"`
	OrgNumber         string `db:"org_number"`
	Description       string `db:"description"`
	PasswordHash      string `db:"password_hash"`
	PasswordChangedAt int64  `db:"password_changed_at"`
	CreatedAt         int64  `db:"created_at"`
	UpdatedAt         int64  `db:"updated_at"`
}

const integrationSelect = `SELECT id, org_id, name, org_number, description, password_hash, password_changed_at,
	created_at, updated_at FROM integrations `

func (r integrationRow) domain() (store.Integration, error) {
	return store.Integration{ID: r.ID, OrgID: r.OrgID, Name: r.Name, OrgNumber: r.OrgNumber,
		Description: r.Description, PasswordHash: r.PasswordHash, PasswordChangedAt: fromMicros(r.PasswordChangedAt),
		CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt)}, nil
}

func validateIntegration(i store.Integration) error {
	if i.Name == "" {
		return store.Invalid("name", "required")
	}
	if i.OrgNumber == "" {
		return store.Invalid("orgNumber", "required")
	}
	return nil
}

// CreateIntegration stores i; PasswordChangedAt defaults to now.
func (t *tenant) CreateIntegration(ctx context.Context, i store.Integration) (store.Integration, error) {
	if i.ID == "" {
		i.ID = t.s.newID()
	}
	i.OrgID = t.org
	if err := validateIntegration(i); err != nil {
		return store.Integration{}, err
	}
	err := t.s.write(ctx, "create integration", func(w *wtx) error {
		i.CreatedAt, i.UpdatedAt = w.now, w.now
		if i.PasswordChangedAt.IsZero() {
			i.PasswordChangedAt = w.now
		}
		i.PasswordChangedAt = i.PasswordChangedAt.UTC().Truncate(time.Microsecond)
		if _, err := w.exec(`INSERT INTO integrations (id, org_id, name, org_number, description, password_hash,
			password_changed_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			i.ID, t.org, i.Name, i.OrgNumber, i.Description, i.PasswordHash, micros(i.PasswordChangedAt),
			micros(i.CreatedAt), micros(i.UpdatedAt)); err != nil {
			return err
		}
		return w.record(t.org, store.ActionCreate, store.EntityIntegration, i.ID, nil, i)
	})
	return i, err
}

func (t *tenant) GetIntegration(ctx context.Context, id string) (store.Integration, error) {
	return readOne[store.Integration, integrationRow](ctx, t.s, "get integration", integrationSelect+`WHERE org_id = ? AND id = ?`, t.org, id)
}

func (t *tenant) ListIntegrations(ctx context.Context) ([]store.Integration, error) {
	return readAll[store.Integration, integrationRow](ctx, t.s, "list integrations", integrationSelect+`WHERE org_id = ? ORDER BY created_at, id`, t.org)
}

// UpdateIntegration applies update; a changed PasswordHash moves
// PasswordChangedAt to now unless the updater set it.
func (t *tenant) UpdateIntegration(ctx context.Context, id string, update func(store.Integration) (store.Integration, error)) (i store.Integration, err error) {
	err = t.s.write(ctx, "update integration", func(w *wtx) error {
		old, err := one[store.Integration, integrationRow](w.qtx, integrationSelect+`WHERE org_id = ? AND id = ?`, t.org, id)
		if err != nil {
			return err
		}
		if i, err = update(old); err != nil {
			return err
		}
		i.ID, i.OrgID, i.CreatedAt, i.UpdatedAt = old.ID, old.OrgID, old.CreatedAt, w.now
		if i.PasswordHash != old.PasswordHash && i.PasswordChangedAt.Equal(old.PasswordChangedAt) {
			i.PasswordChangedAt = w.now
		}
		i.PasswordChangedAt = i.PasswordChangedAt.UTC().Truncate(time.Microsecond)
		if err := validateIntegration(i); err != nil {
			return err
		}
		if _, err := w.exec(`UPDATE integrations SET name = ?, org_number = ?, description = ?, password_hash = ?,
			password_changed_at = ?, updated_at = ? WHERE org_id = ? AND id = ?`,
			i.Name, i.OrgNumber, i.Description, i.PasswordHash, micros(i.PasswordChangedAt), micros(i.UpdatedAt),
			t.org, id); err != nil {
			return err
		}
		return w.record(t.org, store.ActionUpdate, store.EntityIntegration, id, old, i)
	})
	return i, err
}

// DeleteIntegration deletes the integration and its grants.
func (t *tenant) DeleteIntegration(ctx context.Context, id string) error {
	return t.s.write(ctx, "delete integration", func(w *wtx) error {
		old, err := one[store.Integration, integrationRow](w.qtx, integrationSelect+`WHERE org_id = ? AND id = ?`, t.org, id)
		if err != nil {
			return err
		}
		return deleteSubject(w, t.org, store.SubjectIntegration, "integrations", store.EntityIntegration, id, old)
	})
}

// --- grants ---

type grantRow struct {
	ID        string `db:"id"`
	OrgID     string `db:"org_id"`
	RoleID    string `db:"role_id"`
	Kind      string `db:"kind"`
	SubjectID string `db:"subject_id"`
	ExpiresAt *int64 `db:"expires_at"`
	CreatedAt int64  `db:"created_at"`
	CreatedBy string `db:"created_by"`
}

const (
	grantSelect = `SELECT id, org_id, role_id, kind, subject_id, expires_at, created_at, created_by FROM grants `
	grantOrder  = ` ORDER BY created_at, id`
)

func (r grantRow) domain() (store.Grant, error) {
	return store.Grant{ID: r.ID, OrgID: r.OrgID, RoleID: r.RoleID, Kind: r.Kind, SubjectID: r.SubjectID,
		ExpiresAt: fromMicrosPtr(r.ExpiresAt), CreatedAt: fromMicros(r.CreatedAt), CreatedBy: r.CreatedBy}, nil
}

// subjectTables maps grant kinds to the table holding the subject.
var subjectTables = map[string]string{store.SubjectGroup: "groups", store.SubjectUser: "users", store.SubjectIntegration: "integrations"}

// CreateGrant grants a role of this organisation to a subject of it. An
// unknown role is ErrNotFound, an unknown subject *ValidationError, the same
// (role, kind, subject) twice ErrConflict. CreatedBy defaults to the actor.
func (t *tenant) CreateGrant(ctx context.Context, g store.Grant) (store.Grant, error) {
	if g.ID == "" {
		g.ID = t.s.newID()
	}
	err := t.s.write(ctx, "create grant", func(w *wtx) error { return insertGrant(w, t.org, &g) })
	return g, err
}

// insertGrant is CreateGrant inside w (g.ID set).
func insertGrant(w *wtx, org string, g *store.Grant) error {
	g.OrgID = org
	table, ok := subjectTables[g.Kind]
	if !ok {
		return store.Invalid("kind", "must be group, user or integration")
	}
	if g.ExpiresAt != nil {
		e := g.ExpiresAt.UTC().Truncate(time.Microsecond)
		g.ExpiresAt = &e
	}
	g.CreatedAt = w.now
	if g.CreatedBy == "" {
		g.CreatedBy = w.actor
	}
	var n int
	if err := w.get(&n, `SELECT COUNT(*) FROM roles WHERE org_id = ? AND id = ?`, org, g.RoleID); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("role: %w", store.ErrNotFound)
	}
	if err := w.get(&n, `SELECT COUNT(*) FROM `+table+` WHERE org_id = ? AND id = ?`, org, g.SubjectID); err != nil {
		return err
	}
	if n == 0 {
		return store.Invalid("subject", "unknown %s", g.Kind)
	}
	if _, err := w.exec(`INSERT INTO grants (id, org_id, role_id, kind, subject_id, expires_at, created_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, g.ID, org, g.RoleID, g.Kind, g.SubjectID, microsPtr(g.ExpiresAt),
		micros(g.CreatedAt), g.CreatedBy); err != nil {
		return err
	}
	return w.record(org, store.ActionCreate, store.EntityGrant, g.ID, nil, *g)
}

func (t *tenant) GetGrant(ctx context.Context, id string) (store.Grant, error) {
	return readOne[store.Grant, grantRow](ctx, t.s, "get grant", grantSelect+`WHERE org_id = ? AND id = ?`, t.org, id)
}

func (t *tenant) ListGrants(ctx context.Context, q store.GrantQuery) ([]store.Grant, error) {
	where, args := conds{}.eq("org_id", t.org).eq("role_id", q.RoleID).eq("kind", q.Kind).eq("subject_id", q.SubjectID).sql()
	return readAll[store.Grant, grantRow](ctx, t.s, "list grants", grantSelect+where+grantOrder, args...)
}

func (t *tenant) DeleteGrant(ctx context.Context, id string) error {
	return t.s.write(ctx, "delete grant", func(w *wtx) error { return deleteGrant(w, t.org, id) })
}

func deleteGrant(w *wtx, org, id string) error {
	old, err := one[store.Grant, grantRow](w.qtx, grantSelect+`WHERE org_id = ? AND id = ?`, org, id)
	if err != nil {
		return err
	}
	if _, err := w.exec(`DELETE FROM grants WHERE org_id = ? AND id = ?`, org, id); err != nil {
		return err
	}
	return w.record(org, store.ActionDelete, store.EntityGrant, id, old, nil)
}

// ApplyPolicyPlan applies plan in one write transaction (see store.PolicyPlan).
func (t *tenant) ApplyPolicyPlan(ctx context.Context, plan store.PolicyPlan) error {
	return t.s.write(ctx, "apply policy plan", func(w *wtx) error {
		for _, id := range plan.DeleteGrants {
			if err := deleteGrant(w, t.org, id); err != nil {
				return fmt.Errorf("delete grant %s: %w", id, err)
			}
		}
		for _, id := range plan.DeleteRoles {
			if err := deleteRole(w, t.org, id); err != nil {
				return fmt.Errorf("delete role %s: %w", id, err)
			}
		}
		for _, r := range plan.UpdateRoles {
			if _, err := updateRole(w, t.org, r.ID, func(store.Role) (store.Role, error) { return r, nil }); err != nil {
				return fmt.Errorf("update role %s: %w", r.ID, err)
			}
		}
		for _, r := range plan.CreateRoles {
			if r.ID == "" {
				r.ID = t.s.newID()
			}
			if err := insertRole(w, t.org, &r); err != nil {
				return fmt.Errorf("create role %q: %w", r.Name, err)
			}
		}
		for _, g := range plan.CreateGrants {
			if g.ID == "" {
				g.ID = t.s.newID()
			}
			if err := insertGrant(w, t.org, &g); err != nil {
				return fmt.Errorf("create grant of role %s: %w", g.RoleID, err)
			}
		}
		return nil
	})
}

// PolicySnapshot reads the organisation's policy in one read transaction.
// LastSeq is the global maximum change Seq (all organisations): every
// change up to it is reflected, so a follower resumes with
// ChangesSince(LastSeq) without missing or replaying anything.
func (t *tenant) PolicySnapshot(ctx context.Context) (p store.PolicySnapshot, err error) {
	err = t.s.read(ctx, "policy snapshot", func(q qtx) error {
		p.ActiveUsers, p.Integrations, p.Memberships = []string{}, []string{}, []store.Membership{}
		if err := q.sel(&p.ActiveUsers, `SELECT id FROM users WHERE org_id = ? AND active = ? ORDER BY id`, t.org, true); err != nil {
			return err
		}
		if err := q.sel(&p.Memberships, `SELECT group_id AS groupid, user_id AS userid FROM memberships WHERE org_id = ?
			ORDER BY group_id, user_id`, t.org); err != nil {
			return err
		}
		if err := q.sel(&p.Integrations, `SELECT id FROM integrations WHERE org_id = ? ORDER BY id`, t.org); err != nil {
			return err
		}
		if p.Roles, err = all[store.Role, roleRow](q, roleList, t.org); err != nil {
			return err
		}
		if p.ServiceAreas, err = all[store.ServiceArea, serviceAreaRow](q, serviceAreaList, t.org); err != nil {
			return err
		}
		if p.Grants, err = all[store.Grant, grantRow](q, grantSelect+`WHERE org_id = ?`+grantOrder, t.org); err != nil {
			return err
		}
		return q.get(&p.LastSeq, `SELECT COALESCE(MAX(seq), 0) FROM changes`)
	})
	return p, err
}
