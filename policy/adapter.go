package policy

import (
	"errors"

	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"

	"folkevakt/store"
)

// snapshotAdapter is a read-only Casbin adapter (Argo CD style): it projects
// one organisation's store snapshot — read through the store on sqlx — into
// Casbin lines. Writes go to the store, never through Casbin, so every write
// method reports "not implemented", which Casbin tolerates.
type snapshotAdapter struct {
	snap *store.PolicySnapshot
}

var errNotImplemented = errors.New("not implemented")

var _ persist.Adapter = snapshotAdapter{}

func (a snapshotAdapter) LoadPolicy(m model.Model) error {
	add := func(ptype, v0, v1 string) error { return m.AddPolicy("g", ptype, []string{v0, v1}) }
	for _, ms := range a.snap.Memberships {
		if err := add("g", prefixUser+ms.UserID, prefixGroup+ms.GroupID); err != nil {
			return err
		}
	}
	for _, g := range a.snap.Grants {
		if err := add("g", subjectKey(g.Kind, g.SubjectID), prefixRole+g.RoleID); err != nil {
			return err
		}
	}
	for _, r := range a.snap.Roles {
		for _, perm := range permissionsOf(r) {
			if err := add("g2", prefixRole+r.ID, perm); err != nil {
				return err
			}
		}
	}
	return nil
}

func (snapshotAdapter) SavePolicy(model.Model) error                { return errNotImplemented }
func (snapshotAdapter) AddPolicy(string, string, []string) error    { return errNotImplemented }
func (snapshotAdapter) RemovePolicy(string, string, []string) error { return errNotImplemented }
func (snapshotAdapter) RemoveFilteredPolicy(string, string, int, ...string) error {
	return errNotImplemented
}

// permissionsOf lists a role's g2 targets.
func permissionsOf(r store.Role) []string {
	out := make([]string, 0, len(r.Purposes)+len(r.Elements))
	for _, p := range r.Purposes {
		out = append(out, prefixPurpose+p)
	}
	for _, e := range r.Elements {
		out = append(out, prefixElement+e)
	}
	return out
}

// subjectKey is the role-manager name of a grant subject.
func subjectKey(kind, id string) string {
	switch kind {
	case store.SubjectUser:
		return prefixUser + id
	case store.SubjectGroup:
		return prefixGroup + id
	case store.SubjectIntegration:
		return prefixIntegration + id
	}
	return kind + ":" + id
}
