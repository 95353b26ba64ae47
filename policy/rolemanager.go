package policy

import (
	"errors"
	"strings"
	"time"

	"github.com/casbin/casbin/v2/log"
	"github.com/casbin/casbin/v2/rbac"
)

// Subject prefixes. Ids of different kinds may collide (all are UUIDs the
// outside world can choose), so every name in the role managers is prefixed.
const (
	prefixUser        = "user:"
	prefixGroup       = "group:"
	prefixIntegration = "integration:"
	prefixRole        = "role:"
	prefixPurpose     = "purpose:"
	prefixElement     = "element:"
)

var errUnsupported = errors.New("policy: not supported by folkevakt's role manager")

// grantRef is one grant behind a subject→role link.
type grantRef struct {
	id      string
	expires time.Time // zero: no expiry
}

func (g grantRef) validAt(t time.Time) bool { return g.expires.IsZero() || t.Before(g.expires) }

// subjectLinks is the role manager behind `g`: memberships user→group and
// grants subject→role. Memberships of inactive users are kept but the user
// is absent from active, so every link of theirs fails at once and comes back
// on reactivation. HasLink costs one lookup per group of the user.
//
// It is not safe for concurrent mutation; the Engine serialises writers and
// lets readers in under its RWMutex.
type subjectLinks struct {
	now      func() time.Time
	active   map[string]struct{}              // "user:<id>" of active users
	exists   map[string]struct{}              // "integration:<id>" of existing integrations
	memberOf map[string][]string              // "user:<id>" → "group:<id>"…
	grants   map[string]map[string][]grantRef // subject → "role:<id>" → grants
	intern   map[string]string                // shares one copy of each group name
}

func newSubjectLinks(now func() time.Time) *subjectLinks {
	l := &subjectLinks{now: now}
	_ = l.Clear()
	return l
}

func (l *subjectLinks) Clear() error {
	l.active = map[string]struct{}{}
	l.exists = map[string]struct{}{}
	l.memberOf = map[string][]string{}
	l.grants = map[string]map[string][]grantRef{}
	l.intern = map[string]string{}
	return nil
}

func (l *subjectLinks) internName(s string) string {
	if v, ok := l.intern[s]; ok {
		return v
	}
	l.intern[s] = s
	return s
}

// AddLink is called by Casbin while building links from the adapter's lines:
// user→group is a membership, anything→role a grant without metadata (the
// engine attaches grant ids and expiry right after, see setGrant).
func (l *subjectLinks) AddLink(name1, name2 string, _ ...string) error {
	switch {
	case strings.HasPrefix(name2, prefixGroup):
		l.addMember(name1, name2)
	case strings.HasPrefix(name2, prefixRole):
		if l.grants[name1] == nil {
			l.grants[name1] = map[string][]grantRef{}
		}
		if _, ok := l.grants[name1][name2]; !ok {
			l.grants[name1][name2] = nil
		}
	default:
		return errUnsupported
	}
	return nil
}

func (l *subjectLinks) addMember(user, group string) {
	group = l.internName(group)
	for _, g := range l.memberOf[user] {
		if g == group {
			return
		}
	}
	l.memberOf[user] = append(l.memberOf[user], group)
}

func (l *subjectLinks) removeMember(user, group string) {
	gs := l.memberOf[user]
	for i, g := range gs {
		if g == group {
			gs[i] = gs[len(gs)-1]
			gs = gs[:len(gs)-1]
			break
		}
	}
	if len(gs) == 0 {
		delete(l.memberOf, user)
	} else {
		l.memberOf[user] = gs
	}
}

// setGrant records grant g of role to subject (replacing one with the same id).
func (l *subjectLinks) setGrant(subject, role string, g grantRef) {
	if l.grants[subject] == nil {
		l.grants[subject] = map[string][]grantRef{}
	}
	refs := l.grants[subject][role]
	for i, r := range refs {
		if r.id == g.id || r.id == "" {
			refs[i] = g
			l.grants[subject][role] = refs
			return
		}
	}
	l.grants[subject][role] = append(refs, g)
}

func (l *subjectLinks) removeGrant(subject, role, id string) {
	refs := l.grants[subject][role]
	out := refs[:0]
	for _, r := range refs {
		if r.id != id {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		delete(l.grants[subject], role)
		if len(l.grants[subject]) == 0 {
			delete(l.grants, subject)
		}
		return
	}
	l.grants[subject][role] = out
}

// removeSubject drops every link of a deleted user, group or integration.
func (l *subjectLinks) removeSubject(subject string) {
	delete(l.active, subject)
	delete(l.exists, subject)
	delete(l.grants, subject)
	delete(l.memberOf, subject)
	if strings.HasPrefix(subject, prefixGroup) {
		for user := range l.memberOf {
			l.removeMember(user, subject)
		}
		delete(l.intern, subject)
	}
}

// removeRole drops every grant of a deleted role.
func (l *subjectLinks) removeRole(role string) {
	for subject, roles := range l.grants {
		delete(roles, role)
		if len(roles) == 0 {
			delete(l.grants, subject)
		}
	}
}

func (l *subjectLinks) DeleteLink(name1, name2 string, _ ...string) error {
	switch {
	case strings.HasPrefix(name2, prefixGroup):
		l.removeMember(name1, name2)
	case strings.HasPrefix(name2, prefixRole):
		delete(l.grants[name1], name2)
	default:
		return errUnsupported
	}
	return nil
}

// subjectLive reports whether a subject can hold links at all right now.
func (l *subjectLinks) subjectLive(subject string) bool {
	switch {
	case strings.HasPrefix(subject, prefixUser):
		_, ok := l.active[subject]
		return ok
	case strings.HasPrefix(subject, prefixIntegration):
		_, ok := l.exists[subject]
		return ok
	}
	return true // groups have no state of their own
}

// validGrant returns a currently valid grant of role to subject.
func (l *subjectLinks) validGrant(subject, role string, t time.Time) (grantRef, bool) {
	for _, g := range l.grants[subject][role] {
		if g.id != "" && g.validAt(t) {
			return g, true
		}
	}
	return grantRef{}, false
}

// HasLink answers g(subject, role): a live subject holding a valid grant of
// role, directly or through one of its groups.
func (l *subjectLinks) HasLink(subject, role string, _ ...string) (bool, error) {
	_, _, ok := l.path(subject, role)
	return ok, nil
}

// path returns the grant that lets subject act in role and the group it came
// through ("" for a direct grant).
func (l *subjectLinks) path(subject, role string) (grantRef, string, bool) {
	if !l.subjectLive(subject) {
		return grantRef{}, "", false
	}
	t := l.now()
	if g, ok := l.validGrant(subject, role, t); ok {
		return g, "", true
	}
	for _, group := range l.memberOf[subject] {
		if g, ok := l.validGrant(group, role, t); ok {
			return g, group, true
		}
	}
	return grantRef{}, "", false
}

func (l *subjectLinks) BuildRelationship(name1, name2 string, domain ...string) error {
	return l.AddLink(name1, name2, domain...)
}

// GetRoles returns the roles subject may act in now.
func (l *subjectLinks) GetRoles(subject string, _ ...string) ([]string, error) {
	if !l.subjectLive(subject) {
		return nil, nil
	}
	t := l.now()
	seen := map[string]bool{}
	var out []string
	collect := func(s string) {
		for role, refs := range l.grants[s] {
			for _, g := range refs {
				if g.id != "" && g.validAt(t) && !seen[role] {
					seen[role] = true
					out = append(out, role)
				}
			}
		}
	}
	collect(subject)
	for _, group := range l.memberOf[subject] {
		collect(group)
	}
	return out, nil
}

func (l *subjectLinks) GetUsers(string, ...string) ([]string, error) { return nil, errUnsupported }
func (l *subjectLinks) GetImplicitRoles(n string, d ...string) ([]string, error) {
	return l.GetRoles(n, d...)
}
func (l *subjectLinks) GetImplicitUsers(string, ...string) ([]string, error) {
	return nil, errUnsupported
}
func (l *subjectLinks) GetDomains(string) ([]string, error)             { return nil, errUnsupported }
func (l *subjectLinks) GetAllDomains() ([]string, error)                { return nil, errUnsupported }
func (l *subjectLinks) PrintRoles() error                               { return nil }
func (l *subjectLinks) SetLogger(log.Logger)                            {}
func (l *subjectLinks) Match(str, pattern string) bool                  { return str == pattern }
func (l *subjectLinks) AddMatchingFunc(string, rbac.MatchingFunc)       {}
func (l *subjectLinks) AddDomainMatchingFunc(string, rbac.MatchingFunc) {}
func (l *subjectLinks) DeleteDomain(string) error                       { return errUnsupported }

var _ rbac.RoleManager = (*subjectLinks)(nil)

// rolePermissions is the role manager behind `g2`: role → "purpose:…" and
// "element:…".
type rolePermissions struct {
	perms map[string]map[string]struct{}
}

func newRolePermissions() *rolePermissions {
	p := &rolePermissions{}
	_ = p.Clear()
	return p
}

func (p *rolePermissions) Clear() error {
	p.perms = map[string]map[string]struct{}{}
	return nil
}

func (p *rolePermissions) AddLink(role, perm string, _ ...string) error {
	if p.perms[role] == nil {
		p.perms[role] = map[string]struct{}{}
	}
	p.perms[role][perm] = struct{}{}
	return nil
}

func (p *rolePermissions) DeleteLink(role, perm string, _ ...string) error {
	delete(p.perms[role], perm)
	return nil
}

func (p *rolePermissions) HasLink(role, perm string, _ ...string) (bool, error) {
	_, ok := p.perms[role][perm]
	return ok, nil
}

func (p *rolePermissions) BuildRelationship(a, b string, d ...string) error {
	return p.AddLink(a, b, d...)
}

func (p *rolePermissions) GetRoles(role string, _ ...string) ([]string, error) {
	out := make([]string, 0, len(p.perms[role]))
	for perm := range p.perms[role] {
		out = append(out, perm)
	}
	return out, nil
}

func (p *rolePermissions) GetUsers(string, ...string) ([]string, error) { return nil, errUnsupported }
func (p *rolePermissions) GetImplicitRoles(n string, d ...string) ([]string, error) {
	return p.GetRoles(n, d...)
}
func (p *rolePermissions) GetImplicitUsers(string, ...string) ([]string, error) {
	return nil, errUnsupported
}
func (p *rolePermissions) GetDomains(string) ([]string, error)             { return nil, errUnsupported }
func (p *rolePermissions) GetAllDomains() ([]string, error)                { return nil, errUnsupported }
func (p *rolePermissions) PrintRoles() error                               { return nil }
func (p *rolePermissions) SetLogger(log.Logger)                            {}
func (p *rolePermissions) Match(str, pattern string) bool                  { return str == pattern }
func (p *rolePermissions) AddMatchingFunc(string, rbac.MatchingFunc)       {}
func (p *rolePermissions) AddDomainMatchingFunc(string, rbac.MatchingFunc) {}
func (p *rolePermissions) DeleteDomain(string) error                       { return errUnsupported }

var _ rbac.RoleManager = (*rolePermissions)(nil)
