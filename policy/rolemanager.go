package policy

import (
	"errors"
	"math/bits"
	"strings"
	"time"

	"github.com/casbin/casbin/v2/log"
	"github.com/casbin/casbin/v2/rbac"

	"folkevakt/gateway/freg"
)

// Name prefixes. Ids of different kinds may collide (all are UUIDs the
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

type grantLink struct {
	role uint32
	ref  grantRef
}

// subjectLinks is the role manager behind `g`: memberships user→group and
// grants subject→role. Names are interned to dense indexes so that a
// decision costs two string lookups (subject, role) and then walks small
// slices, whatever the number of users and memberships. Memberships of an
// inactive user are kept but the user is not live, so all its links fail at
// once and come back on reactivation.
//
// Not safe for concurrent mutation; the Engine serialises writers and lets
// readers in under its RWMutex.
type subjectLinks struct {
	now      func() time.Time
	index    map[string]uint32
	names    []string
	live     []bool        // users: active; integrations: exist; groups: always
	memberOf [][]uint32    // user → groups
	grants   [][]grantLink // subject → roles
}

func newSubjectLinks(now func() time.Time) *subjectLinks {
	l := &subjectLinks{now: now}
	_ = l.Clear()
	return l
}

func (l *subjectLinks) Clear() error {
	l.index = map[string]uint32{}
	l.names, l.live, l.memberOf, l.grants = nil, nil, nil, nil
	return nil
}

// intern returns the index of name, adding it if new. Groups are live from
// the start: they have no state of their own.
func (l *subjectLinks) intern(name string) uint32 {
	if i, ok := l.index[name]; ok {
		return i
	}
	i := uint32(len(l.names))
	l.index[name] = i
	l.names = append(l.names, name)
	l.live = append(l.live, strings.HasPrefix(name, prefixGroup))
	l.memberOf = append(l.memberOf, nil)
	l.grants = append(l.grants, nil)
	return i
}

func (l *subjectLinks) setLive(name string, live bool) { l.live[l.intern(name)] = live }

// AddLink is called by Casbin while building links from the adapter's lines:
// user→group is a membership, anything→role a grant placeholder (the engine
// attaches grant ids and expiry right after, see setGrant).
func (l *subjectLinks) AddLink(name1, name2 string, _ ...string) error {
	switch {
	case strings.HasPrefix(name2, prefixGroup):
		l.addMember(name1, name2)
	case strings.HasPrefix(name2, prefixRole):
		l.intern(name1)
		l.intern(name2)
	default:
		return errUnsupported
	}
	return nil
}

func (l *subjectLinks) addMember(user, group string) {
	u, g := l.intern(user), l.intern(group)
	for _, x := range l.memberOf[u] {
		if x == g {
			return
		}
	}
	l.memberOf[u] = append(l.memberOf[u], g)
}

func (l *subjectLinks) removeMember(user, group string) {
	u, ok1 := l.index[user]
	g, ok2 := l.index[group]
	if !ok1 || !ok2 {
		return
	}
	gs := l.memberOf[u]
	for i, x := range gs {
		if x == g {
			gs[i] = gs[len(gs)-1]
			l.memberOf[u] = gs[:len(gs)-1]
			return
		}
	}
}

// setGrant records grant ref of role to subject (replacing one with the same id).
func (l *subjectLinks) setGrant(subject, role string, ref grantRef) {
	s, r := l.intern(subject), l.intern(role)
	for i, gl := range l.grants[s] {
		if gl.ref.id == ref.id {
			l.grants[s][i] = grantLink{r, ref}
			return
		}
	}
	l.grants[s] = append(l.grants[s], grantLink{r, ref})
}

func (l *subjectLinks) removeGrant(subject, id string) {
	s, ok := l.index[subject]
	if !ok {
		return
	}
	out := l.grants[s][:0]
	for _, gl := range l.grants[s] {
		if gl.ref.id != id {
			out = append(out, gl)
		}
	}
	l.grants[s] = out
}

// removeSubject drops every link of a deleted user, group or integration.
func (l *subjectLinks) removeSubject(subject string) {
	s, ok := l.index[subject]
	if !ok {
		return
	}
	l.live[s] = false
	l.grants[s] = nil
	l.memberOf[s] = nil
	if strings.HasPrefix(subject, prefixGroup) {
		for u, gs := range l.memberOf {
			for i, g := range gs {
				if g == s {
					gs[i] = gs[len(gs)-1]
					l.memberOf[u] = gs[:len(gs)-1]
					break
				}
			}
		}
	}
}

// removeRole drops every grant of a deleted role.
func (l *subjectLinks) removeRole(role string) {
	r, ok := l.index[role]
	if !ok {
		return
	}
	for s, gls := range l.grants {
		out := gls[:0]
		for _, gl := range gls {
			if gl.role != r {
				out = append(out, gl)
			}
		}
		l.grants[s] = out
	}
}

func (l *subjectLinks) DeleteLink(name1, name2 string, _ ...string) error {
	switch {
	case strings.HasPrefix(name2, prefixGroup):
		l.removeMember(name1, name2)
	case strings.HasPrefix(name2, prefixRole):
		s, ok1 := l.index[name1]
		r, ok2 := l.index[name2]
		if ok1 && ok2 {
			out := l.grants[s][:0]
			for _, gl := range l.grants[s] {
				if gl.role != r {
					out = append(out, gl)
				}
			}
			l.grants[s] = out
		}
	default:
		return errUnsupported
	}
	return nil
}

// subjectLive reports whether a subject can hold links at all right now.
func (l *subjectLinks) subjectLive(subject string) bool {
	s, ok := l.index[subject]
	return ok && l.live[s]
}

func validGrant(gls []grantLink, role uint32, t time.Time) (grantRef, bool) {
	for _, gl := range gls {
		if gl.role == role && gl.ref.id != "" && gl.ref.validAt(t) {
			return gl.ref, true
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
	s, ok := l.index[subject]
	if !ok || !l.live[s] {
		return grantRef{}, "", false
	}
	r, ok := l.index[role]
	if !ok {
		return grantRef{}, "", false
	}
	t := l.now()
	if g, ok := validGrant(l.grants[s], r, t); ok {
		return g, "", true
	}
	for _, group := range l.memberOf[s] {
		if g, ok := validGrant(l.grants[group], r, t); ok {
			return g, l.names[group], true
		}
	}
	return grantRef{}, "", false
}

func (l *subjectLinks) BuildRelationship(name1, name2 string, domain ...string) error {
	return l.AddLink(name1, name2, domain...)
}

// GetRoles returns the roles subject may act in now.
func (l *subjectLinks) GetRoles(subject string, _ ...string) ([]string, error) {
	s, ok := l.index[subject]
	if !ok || !l.live[s] {
		return nil, nil
	}
	t := l.now()
	seen := map[uint32]bool{}
	var out []string
	collect := func(x uint32) {
		for _, gl := range l.grants[x] {
			if gl.ref.id != "" && gl.ref.validAt(t) && !seen[gl.role] {
				seen[gl.role] = true
				out = append(out, l.names[gl.role])
			}
		}
	}
	collect(s)
	for _, g := range l.memberOf[s] {
		collect(g)
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

// Element and purpose bits. The catalogue has fewer than 64 elements, so a
// role's elements are one word and checking five elements is five small
// lookups and bit tests.
var (
	elementBit       = map[string]uint64{}
	confidentialBits uint64
	purposeBit       = map[string]uint8{}
)

func init() {
	if len(freg.Elements) > 64 {
		panic("policy: element catalogue outgrew the 64-bit element set")
	}
	for i, e := range freg.Elements {
		elementBit[e.Name] = 1 << i
		if e.Confidential {
			confidentialBits |= 1 << i
		}
	}
	for i, p := range []string{"search", "citizen-lists", "events"} {
		purposeBit[p] = 1 << i
	}
}

// rolePermissions is the role manager behind `g2`: role → "purpose:…" and
// "element:…", held as bit sets per role.
type rolePermissions struct {
	purposes map[string]uint8
	elements map[string]uint64
}

func newRolePermissions() *rolePermissions {
	p := &rolePermissions{}
	_ = p.Clear()
	return p
}

func (p *rolePermissions) Clear() error {
	p.purposes = map[string]uint8{}
	p.elements = map[string]uint64{}
	return nil
}

func (p *rolePermissions) AddLink(role, perm string, _ ...string) error {
	switch {
	case strings.HasPrefix(perm, prefixPurpose):
		p.purposes[role] |= purposeBit[perm[len(prefixPurpose):]]
	case strings.HasPrefix(perm, prefixElement):
		p.elements[role] |= elementBit[perm[len(prefixElement):]]
	default:
		return errUnsupported
	}
	return nil
}

func (p *rolePermissions) DeleteLink(role, perm string, _ ...string) error {
	switch {
	case strings.HasPrefix(perm, prefixPurpose):
		p.purposes[role] &^= purposeBit[perm[len(prefixPurpose):]]
	case strings.HasPrefix(perm, prefixElement):
		p.elements[role] &^= elementBit[perm[len(prefixElement):]]
	default:
		return errUnsupported
	}
	return nil
}

func (p *rolePermissions) removeRole(role string) {
	delete(p.purposes, role)
	delete(p.elements, role)
}

func (p *rolePermissions) HasLink(role, perm string, _ ...string) (bool, error) {
	switch {
	case strings.HasPrefix(perm, prefixPurpose):
		b := purposeBit[perm[len(prefixPurpose):]]
		return b != 0 && p.purposes[role]&b != 0, nil
	case strings.HasPrefix(perm, prefixElement):
		b := elementBit[perm[len(prefixElement):]]
		return b != 0 && p.elements[role]&b != 0, nil
	}
	return false, nil
}

func (p *rolePermissions) hasPurpose(role, purpose string) bool {
	b := purposeBit[purpose]
	return b != 0 && p.purposes[role]&b != 0
}

func (p *rolePermissions) BuildRelationship(a, b string, d ...string) error {
	return p.AddLink(a, b, d...)
}

func (p *rolePermissions) GetRoles(role string, _ ...string) ([]string, error) {
	var out []string
	for name, b := range purposeBit {
		if p.purposes[role]&b != 0 {
			out = append(out, prefixPurpose+name)
		}
	}
	for m := p.elements[role]; m != 0; m &= m - 1 {
		out = append(out, prefixElement+freg.Elements[bits.TrailingZeros64(m)].Name)
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
