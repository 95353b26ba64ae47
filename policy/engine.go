// Package policy decides who may read what from Folkeregisteret. It wraps a
// Casbin enforcer per organisation (model.conf at the repository root) whose
// role managers hold the organisation's memberships, grants and role
// permissions. The store is the single source of truth: the engine loads a
// snapshot at start and then follows the store's change feed, applying each
// change as a delta (synchronously for changes made by this process, by
// polling for those made by other instances).
package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"

	"folkevakt/store"
)

// Options configure an Engine.
type Options struct {
	// Model is the text of model.conf.
	Model  string
	Store  store.Store
	Logger *slog.Logger
	Now    func() time.Time
	// PollInterval is how often Run looks for changes made by other
	// instances (default 2 s); it bounds revocation delay across instances.
	PollInterval time.Duration
	// NoDecisionCache evaluates every query with Casbin (for measurements).
	NoDecisionCache bool
}

// Engine answers policy questions for every organisation.
type Engine struct {
	opts Options
	log  *slog.Logger

	mu      sync.RWMutex
	orgs    map[string]*orgPolicy
	lastSeq int64 // newest change seen from the feed, across organisations
}

// orgPolicy is one organisation's enforcer and the state its functions read.
type orgPolicy struct {
	mu       sync.RWMutex
	enforcer *casbin.Enforcer
	links    *subjectLinks
	perms    *rolePermissions
	roles    map[string]store.Role // by id
	areas    map[string]store.ServiceArea
	lastSeq  int64

	// Decisions are cached: a fagsystem repeats the same question (its role,
	// the same parts) thousands of times, and Casbin's per-call overhead
	// dominates a decision. gen changes with every applied change, which
	// makes every earlier entry stale; an allow also lapses when the grant
	// it relied on expires.
	gen       uint64
	cache     sync.Map // key → cachedDecision
	cacheSize atomic.Int64
}

type cachedDecision struct {
	gen      uint64
	until    time.Time // zero: no expiry
	decision Decision
}

// maxCachedDecisions bounds the cache; past it the cache starts afresh.
const maxCachedDecisions = 100_000

// Subject is who asks: a SCIM user, a group (for explain) or an integration.
type Subject struct {
	Kind string // store.SubjectUser | store.SubjectGroup | store.SubjectIntegration
	ID   string
}

func (s Subject) key() string { return subjectKey(s.Kind, s.ID) }

// Query is one policy question.
type Query struct {
	Subject  Subject
	RoleID   string
	Purpose  string
	Elements []string
}

// Deny reasons.
const (
	ReasonUnknownRole      = "unknown-role"
	ReasonNotGranted       = "not-granted"
	ReasonPurpose          = "purpose-not-in-role"
	ReasonElement          = "element-not-in-role"
	ReasonConfidential     = "confidential-not-allowed"
	ReasonPolicyEvaluation = "policy-error"
)

// Decision is the answer to a Query. Role and Area are set whenever the role
// exists, also on deny, so that the audit record can name them.
type Decision struct {
	Allowed bool
	Reason  string // empty when allowed
	Detail  string // e.g. the element that was refused
	Role    store.Role
	Area    store.ServiceArea
}

// New loads every organisation's policy from the store and subscribes to its
// change feed.
func New(ctx context.Context, opts Options) (*Engine, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 2 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if _, err := model.NewModelFromString(opts.Model); err != nil {
		return nil, fmt.Errorf("policy: model: %w", err)
	}
	e := &Engine{opts: opts, log: opts.Logger, orgs: map[string]*orgPolicy{}}
	// Subscribe before loading: a change committed while we load is either in
	// the snapshot (its Seq ≤ the snapshot's) or applied by the hook after.
	var pending []store.Change
	var pendingMu sync.Mutex
	loading := true
	opts.Store.OnChange(func(c store.Change) {
		pendingMu.Lock()
		if loading {
			pending = append(pending, c)
			pendingMu.Unlock()
			return
		}
		pendingMu.Unlock()
		e.Apply(c)
	})
	orgs, err := opts.Store.ListOrganisations(ctx)
	if err != nil {
		return nil, fmt.Errorf("policy: list organisations: %w", err)
	}
	for _, o := range orgs {
		op, err := e.loadOrg(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		e.orgs[o.ID] = op
	}
	pendingMu.Lock()
	loading = false
	buffered := pending
	pending = nil
	pendingMu.Unlock()
	for _, c := range buffered {
		e.Apply(c)
	}
	return e, nil
}

// loadOrg builds an organisation's enforcer from a fresh snapshot.
func (e *Engine) loadOrg(ctx context.Context, orgID string) (*orgPolicy, error) {
	snap, err := e.opts.Store.Tenant(orgID).PolicySnapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("policy: snapshot: %w", err)
	}
	return e.build(snap)
}

func (e *Engine) build(snap store.PolicySnapshot) (*orgPolicy, error) {
	m, err := model.NewModelFromString(e.opts.Model)
	if err != nil {
		return nil, fmt.Errorf("policy: model: %w", err)
	}
	op := &orgPolicy{
		links:   newSubjectLinks(e.opts.Now),
		perms:   newRolePermissions(),
		roles:   map[string]store.Role{},
		areas:   map[string]store.ServiceArea{},
		lastSeq: snap.LastSeq,
	}
	enf, err := casbin.NewEnforcer(m)
	if err != nil {
		return nil, fmt.Errorf("policy: enforcer: %w", err)
	}
	enf.SetRoleManager(op.links)
	enf.SetNamedRoleManager("g2", op.perms)
	enf.AddFunction("holdsRole", op.holdsRole)
	enf.AddFunction("permits", op.permits)
	enf.AddFunction("mayRead", op.mayRead)
	enf.SetAdapter(snapshotAdapter{snap: &snap})
	if err := enf.LoadPolicy(); err != nil {
		return nil, fmt.Errorf("policy: load: %w", err)
	}
	// The lines only carried the links into the role managers, which hold
	// them from now on and take deltas directly; keeping a second copy in the
	// model would double the memory and make every removal O(rules).
	for _, ast := range enf.GetModel()["g"] {
		ast.Policy, ast.PolicyMap = nil, map[string]int{}
	}
	op.enforcer = enf
	for _, u := range snap.ActiveUsers {
		op.links.setLive(prefixUser+u, true)
	}
	for _, i := range snap.Integrations {
		op.links.setLive(prefixIntegration+i, true)
	}
	for _, g := range snap.Grants {
		op.links.setGrant(subjectKey(g.Kind, g.SubjectID), prefixRole+g.RoleID, refOf(g))
	}
	for _, r := range snap.Roles {
		op.roles[r.ID] = r
	}
	for _, a := range snap.ServiceAreas {
		op.areas[a.ID] = a
	}
	return op, nil
}

func refOf(g store.Grant) grantRef {
	ref := grantRef{id: g.ID}
	if g.ExpiresAt != nil {
		ref.expires = *g.ExpiresAt
	}
	return ref
}

// holdsRole is the matcher's view of g, read live (see model.conf).
func (op *orgPolicy) holdsRole(args ...interface{}) (interface{}, error) {
	if len(args) != 2 {
		return false, errors.New("holdsRole(subject, role) takes two arguments")
	}
	sub, _ := args[0].(string)
	role, _ := args[1].(string)
	ok, _ := op.links.HasLink(sub, role)
	return ok, nil
}

// permits is the matcher's view of g2 for purposes.
func (op *orgPolicy) permits(args ...interface{}) (interface{}, error) {
	if len(args) != 2 {
		return false, errors.New("permits(role, purpose) takes two arguments")
	}
	role, _ := args[0].(string)
	purpose, _ := args[1].(string)
	return op.perms.hasPurpose(role, purpose), nil
}

// mayRead is the matcher's view of g2 for elements: every requested element
// must be in the role, and confidential ones need a tjenesteområde that
// allows them.
func (op *orgPolicy) mayRead(args ...interface{}) (interface{}, error) {
	if len(args) != 2 {
		return false, errors.New("mayRead(role, elements) takes two arguments")
	}
	role, _ := args[0].(string)
	elements, ok := args[1].([]string)
	if !ok {
		return false, errors.New("mayRead: elements must be a []string")
	}
	allowed := op.perms.elements[role]
	if !op.confidentialAllowed(role) {
		allowed &^= confidentialBits
	}
	for _, el := range elements {
		if b := elementBit[el]; b == 0 || allowed&b == 0 {
			return false, nil
		}
	}
	return true, nil
}

// confidentialAllowed reports whether the role's tjenesteområde may see
// taushetsbelagte opplysninger.
func (op *orgPolicy) confidentialAllowed(roleKey string) bool {
	r, ok := op.roles[strings.TrimPrefix(roleKey, prefixRole)]
	return ok && op.areas[r.ServiceAreaID].ConfidentialAllowed
}

// firstRefusedElement returns the first element the role may not read and why.
func (op *orgPolicy) firstRefusedElement(roleKey string, elements []string) (reason, element string) {
	inRole := op.perms.elements[roleKey]
	confidentialOK := op.confidentialAllowed(roleKey)
	for _, el := range elements {
		b := elementBit[el]
		if b == 0 || inRole&b == 0 {
			return ReasonElement, el
		}
		if b&confidentialBits != 0 && !confidentialOK {
			return ReasonConfidential, el
		}
	}
	return "", ""
}

func (e *Engine) org(orgID string) *orgPolicy {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.orgs[orgID]
}

// Decide answers q for the organisation: from the decision cache when the
// same question was answered since the last change, else with one Casbin
// evaluation.
func (e *Engine) Decide(orgID string, q Query) Decision {
	op := e.org(orgID)
	if op == nil {
		return Decision{Reason: ReasonUnknownRole}
	}
	op.mu.RLock()
	defer op.mu.RUnlock()
	if e.opts.NoDecisionCache {
		d, _ := e.evaluate(op, q)
		return d
	}
	key := cacheKey(q)
	if v, ok := op.cache.Load(key); ok {
		c := v.(*cachedDecision)
		if c.gen == op.gen && (c.until.IsZero() || e.opts.Now().Before(c.until)) {
			return c.decision
		}
	}
	d, until := e.evaluate(op, q)
	if op.cacheSize.Add(1) > maxCachedDecisions {
		op.cache.Clear()
		op.cacheSize.Store(1)
	}
	op.cache.Store(key, &cachedDecision{gen: op.gen, until: until, decision: d})
	return d
}

func cacheKey(q Query) string {
	var b strings.Builder
	n := len(q.Subject.Kind) + len(q.Subject.ID) + len(q.RoleID) + len(q.Purpose) + 4
	for _, el := range q.Elements {
		n += len(el) + 1
	}
	b.Grow(n)
	b.WriteString(q.Subject.Kind)
	b.WriteByte(0)
	b.WriteString(q.Subject.ID)
	b.WriteByte(0)
	b.WriteString(q.RoleID)
	b.WriteByte(0)
	b.WriteString(q.Purpose)
	for _, el := range q.Elements {
		b.WriteByte(0)
		b.WriteString(el)
	}
	return b.String()
}

// evaluate asks Casbin. For an allow it also returns when the grant it
// rests on expires (zero: never).
func (e *Engine) evaluate(op *orgPolicy, q Query) (Decision, time.Time) {
	role, ok := op.roles[q.RoleID]
	if !ok {
		return Decision{Reason: ReasonUnknownRole}, time.Time{}
	}
	d := Decision{Role: role, Area: op.areas[role.ServiceAreaID]}
	elements := q.Elements
	if elements == nil {
		elements = []string{}
	}
	allowed, err := op.enforcer.Enforce(q.Subject.key(), prefixRole+q.RoleID, q.Purpose, elements)
	if err != nil {
		e.log.Error("policy evaluation failed", "err", err)
		d.Reason = ReasonPolicyEvaluation
		return d, time.Time{}
	}
	if !allowed {
		d.Reason, d.Detail = op.denyReason(q)
		return d, time.Time{}
	}
	d.Allowed = true
	g, _, _ := op.links.path(q.Subject.key(), prefixRole+q.RoleID)
	return d, g.expires
}

// denyReason finds the first rule a denied query breaks (cheap; deny path only).
func (op *orgPolicy) denyReason(q Query) (string, string) {
	roleKey := prefixRole + q.RoleID
	if _, _, ok := op.links.path(q.Subject.key(), roleKey); !ok {
		return ReasonNotGranted, ""
	}
	if !op.perms.hasPurpose(roleKey, q.Purpose) {
		return ReasonPurpose, q.Purpose
	}
	return op.firstRefusedElement(roleKey, q.Elements)
}

// Role returns a role and its tjenesteområde as the engine sees them now.
func (e *Engine) Role(orgID, roleID string) (store.Role, store.ServiceArea, bool) {
	op := e.org(orgID)
	if op == nil {
		return store.Role{}, store.ServiceArea{}, false
	}
	op.mu.RLock()
	defer op.mu.RUnlock()
	r, ok := op.roles[roleID]
	return r, op.areas[r.ServiceAreaID], ok
}

// RolesOf returns the roles subject may act in now, for pickers in the web
// portal. The gateway still decides every request with Decide.
func (e *Engine) RolesOf(orgID string, s Subject) []store.Role {
	op := e.org(orgID)
	if op == nil {
		return nil
	}
	op.mu.RLock()
	defer op.mu.RUnlock()
	keys, _ := op.links.GetRoles(s.key())
	out := make([]store.Role, 0, len(keys))
	for _, k := range keys {
		if r, ok := op.roles[k[len(prefixRole):]]; ok {
			out = append(out, r)
		}
	}
	return out
}

// Apply applies one change from the store's feed. It is idempotent and
// ignores changes an organisation's snapshot already reflects.
func (e *Engine) Apply(c store.Change) {
	e.mu.Lock()
	if c.Seq > e.lastSeq {
		e.lastSeq = c.Seq
	}
	op := e.orgs[c.OrgID]
	if op == nil {
		var err error
		op, err = e.build(store.PolicySnapshot{ServiceAreas: store.BuiltinServiceAreas(), LastSeq: c.Seq - 1})
		if err != nil {
			e.mu.Unlock()
			e.log.Error("policy: cannot create organisation policy", "err", err)
			return
		}
		e.orgs[c.OrgID] = op
	}
	e.mu.Unlock()

	op.mu.Lock()
	defer op.mu.Unlock()
	if c.Seq <= op.lastSeq {
		return
	}
	op.lastSeq = c.Seq
	op.gen++
	if err := op.apply(c); err != nil {
		e.log.Error("policy: cannot apply change", "seq", c.Seq, "entity", c.Entity, "action", c.Action, "err", err)
	}
}

func (op *orgPolicy) apply(c store.Change) error {
	switch c.Entity {
	case store.EntityUser:
		key := prefixUser + c.EntityID
		if c.Action == store.ActionDelete {
			op.links.removeSubject(key)
			return nil
		}
		var u store.User
		if err := json.Unmarshal(c.After, &u); err != nil {
			return err
		}
		op.links.setLive(key, u.Active)
	case store.EntityGroup:
		if c.Action == store.ActionDelete {
			op.links.removeSubject(prefixGroup + c.EntityID)
		}
	case store.EntityMembership:
		var d store.MembershipDelta
		if err := json.Unmarshal(c.After, &d); err != nil {
			return err
		}
		for _, u := range d.UserIDs {
			if c.Action == store.ActionRemoveMembers {
				op.links.removeMember(prefixUser+u, prefixGroup+d.GroupID)
			} else {
				op.links.addMember(prefixUser+u, prefixGroup+d.GroupID)
			}
		}
	case store.EntityRole:
		key := prefixRole + c.EntityID
		op.perms.removeRole(key)
		if c.Action == store.ActionDelete {
			delete(op.roles, c.EntityID)
			op.links.removeRole(key)
			return nil
		}
		var r store.Role
		if err := json.Unmarshal(c.After, &r); err != nil {
			return err
		}
		r.ID = c.EntityID
		op.roles[r.ID] = r
		for _, p := range permissionsOf(r) {
			_ = op.perms.AddLink(key, p)
		}
	case store.EntityGrant:
		var g store.Grant
		raw := c.After
		if c.Action == store.ActionDelete {
			raw = c.Before
		}
		if err := json.Unmarshal(raw, &g); err != nil {
			return err
		}
		g.ID = c.EntityID
		subject, role := subjectKey(g.Kind, g.SubjectID), prefixRole+g.RoleID
		if c.Action == store.ActionDelete {
			op.links.removeGrant(subject, g.ID)
		} else {
			op.links.setGrant(subject, role, refOf(g))
		}
	case store.EntityIntegration:
		key := prefixIntegration + c.EntityID
		if c.Action == store.ActionDelete {
			op.links.removeSubject(key)
		} else {
			op.links.setLive(key, true)
		}
	case store.EntityServiceArea:
		var a store.ServiceArea
		if err := json.Unmarshal(c.After, &a); err != nil {
			return err
		}
		a.ID = c.EntityID
		op.areas[a.ID] = a
	}
	return nil
}

// Run polls the store for changes made by other instances until ctx ends.
func (e *Engine) Run(ctx context.Context) {
	t := time.NewTicker(e.opts.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			e.catchUp(ctx)
		}
	}
}

func (e *Engine) catchUp(ctx context.Context) {
	for {
		e.mu.RLock()
		after := e.lastSeq
		e.mu.RUnlock()
		changes, err := e.opts.Store.ChangesSince(ctx, after, 1000)
		if err != nil {
			if ctx.Err() == nil {
				e.log.Warn("policy: polling changes failed", "err", err)
			}
			return
		}
		for _, c := range changes {
			e.Apply(c)
		}
		if len(changes) < 1000 {
			return
		}
	}
}
