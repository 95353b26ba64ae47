// Package store holds folkevakt's domain types, the storage interfaces and the
// sentinel errors. Backends (store/sqlstore) implement Store; every other
// package speaks only these types and never sees SQL.
//
// Tenancy is structural: operator-level calls live on Store, everything that
// belongs to an organisation is reached through Store.Tenant(orgID), whose
// methods always scope by that organisation. There is no call that reads
// another organisation's rows through a Tenant.
package store

import (
	"context"
	"encoding/json"
	"time"
)

// Store is the operator-level view: organisations, cross-tenant lookups that
// authentication needs before the organisation is known, the audit writer and
// the change feed. Everything else goes through Tenant.
type Store interface {
	CreateOrganisation(ctx context.Context, o Organisation) (Organisation, error)
	GetOrganisation(ctx context.Context, id string) (Organisation, error)
	GetOrganisationByNumber(ctx context.Context, orgNumber string) (Organisation, error)
	ListOrganisations(ctx context.Context) ([]Organisation, error)
	UpdateOrganisation(ctx context.Context, id string, update func(Organisation) (Organisation, error)) (Organisation, error)

	// Tenant returns the organisation-scoped view. It does not check that the
	// organisation exists; calls on an unknown organisation find nothing.
	Tenant(orgID string) Tenant

	// FindTokens returns the tokens whose Lookup equals lookup (normally one).
	// Authentication verifies the secret against Token.Hash itself.
	FindTokens(ctx context.Context, lookup string) ([]Token, error)
	// ResolveIntegration finds an integration by its globally unique id; the
	// gateway needs it to learn the caller's organisation.
	ResolveIntegration(ctx context.Context, id string) (Integration, error)
	// ResolveRoleOrg returns the organisation a role belongs to.
	ResolveRoleOrg(ctx context.Context, roleID string) (string, error)

	// AppendAudit stores a batch of audit records (possibly of several
	// organisations) in one durable transaction, assigning each record its
	// per-organisation Seq, PrevHash and Hash. It returns the stored records in
	// input order. Either all records are stored or none.
	AppendAudit(ctx context.Context, recs []AuditRecord) ([]AuditRecord, error)

	// ChangesSince returns policy changes of all organisations with
	// Seq > afterSeq in Seq order, at most limit of them.
	ChangesSince(ctx context.Context, afterSeq int64, limit int) ([]Change, error)
	// OnChange registers fn to be called synchronously, in Seq order, after
	// each committed change (before the mutating call returns). fn must be fast
	// and must not call the store.
	OnChange(fn func(Change))

	// UnfinishedListOrders returns orders of every organisation whose status is
	// queued or running (for resuming after a restart).
	UnfinishedListOrders(ctx context.Context) ([]ListOrder, error)
	// ExpiredListOrders returns orders of every organisation whose ExpiresAt is
	// before t and whose file has not been deleted yet.
	ExpiredListOrders(ctx context.Context, t time.Time) ([]ListOrder, error)

	Ping(ctx context.Context) error
	Close() error
}

// Tenant is the organisation-scoped store. Every mutating call records a
// Change (actor taken from the context, see WithActor) in the same transaction.
type Tenant interface {
	OrgID() string

	// Tokens (admin and SCIM bearer tokens).
	CreateToken(ctx context.Context, t Token) (Token, error)
	ListTokens(ctx context.Context) ([]Token, error)
	DeleteToken(ctx context.Context, id string) error

	// SCIM users.
	CreateUser(ctx context.Context, u User) (User, error)
	GetUser(ctx context.Context, id string) (User, error)
	// GetUserByUserName compares case-insensitively.
	GetUserByUserName(ctx context.Context, userName string) (User, error)
	// GetUserByExternalID finds the one user with that externalId. externalId
	// is not unique (RFC 7643 gives it no uniqueness); when several users
	// carry it, none is picked and the result is ErrNotFound, as for none.
	GetUserByExternalID(ctx context.Context, externalID string) (User, error)
	ListUsers(ctx context.Context, q ListQuery) (Page[User], error)
	UpdateUser(ctx context.Context, id string, update func(User) (User, error)) (User, error)
	// DeleteUser removes the user and all its memberships and grants.
	DeleteUser(ctx context.Context, id string) error

	// SCIM groups. Groups are returned without members; see ListMembers.
	// CreateGroup stores g with its initial members in one transaction; an
	// unknown member id yields a *ValidationError on "members" and stores
	// nothing.
	CreateGroup(ctx context.Context, g Group, members []string) (Group, error)
	GetGroup(ctx context.Context, id string) (Group, error)
	ListGroups(ctx context.Context, q ListQuery) (Page[Group], error)
	UpdateGroup(ctx context.Context, id string, update func(Group) (Group, error)) (Group, error)
	// DeleteGroup removes the group, its memberships and grants.
	DeleteGroup(ctx context.Context, id string) error

	// PatchGroup applies one SCIM PATCH or PUT of a group in a single write
	// transaction: either all of it is stored or, on any error, nothing.
	// p.Update (if set) changes the group's own attributes as UpdateGroup's
	// update does; then the members change as p says (see GroupPatch). The
	// change history gets the same rows the separate calls would record: a
	// group update (only if the group's attributes actually changed) and one
	// add-members and one remove-members row naming only the ids that
	// changed; a patch that changes nothing records nothing. Version moves by
	// one if anything changed. Adds are idempotent, removes of absent members
	// are ignored, and cost follows the size of the change, not of the group
	// (except for p.Replace, which must read the current members). An
	// unknown group yields ErrNotFound; an unknown user id to add yields a
	// *ValidationError on "members". It returns the group as stored and the
	// ids actually added and removed.
	PatchGroup(ctx context.Context, id string, p GroupPatch) (g Group, added, removed []string, err error)

	// Memberships. Add is idempotent (an existing member is not an error) and
	// Remove ignores absent members; both return what actually changed. An
	// unknown user id yields a *ValidationError on "members" (an unknown group
	// ErrNotFound) and changes nothing. Cost follows the size of the change,
	// not of the group.
	AddMembers(ctx context.Context, groupID string, userIDs []string) (added []string, err error)
	RemoveMembers(ctx context.Context, groupID string, userIDs []string) (removed []string, err error)
	// ReplaceMembers sets the member list exactly (SCIM PUT / replace).
	ReplaceMembers(ctx context.Context, groupID string, userIDs []string) (added, removed []string, err error)
	ListMembers(ctx context.Context, groupID string) ([]string, error)
	ListUserGroups(ctx context.Context, userID string) ([]string, error)

	// Service areas (tjenesteområder); seeded per organisation at creation.
	CreateServiceArea(ctx context.Context, a ServiceArea) (ServiceArea, error)
	GetServiceArea(ctx context.Context, id string) (ServiceArea, error)
	ListServiceAreas(ctx context.Context) ([]ServiceArea, error)

	// Roles.
	CreateRole(ctx context.Context, r Role) (Role, error)
	GetRole(ctx context.Context, id string) (Role, error)
	ListRoles(ctx context.Context) ([]Role, error)
	UpdateRole(ctx context.Context, id string, update func(Role) (Role, error)) (Role, error)
	// DeleteRole removes the role and its grants.
	DeleteRole(ctx context.Context, id string) error

	// Integrations (machine callers).
	CreateIntegration(ctx context.Context, i Integration) (Integration, error)
	GetIntegration(ctx context.Context, id string) (Integration, error)
	ListIntegrations(ctx context.Context) ([]Integration, error)
	UpdateIntegration(ctx context.Context, id string, update func(Integration) (Integration, error)) (Integration, error)
	DeleteIntegration(ctx context.Context, id string) error

	// Grants of a role to a group, user or integration.
	CreateGrant(ctx context.Context, g Grant) (Grant, error)
	GetGrant(ctx context.Context, id string) (Grant, error)
	ListGrants(ctx context.Context, q GrantQuery) ([]Grant, error)
	DeleteGrant(ctx context.Context, id string) error

	// ApplyPolicyPlan applies a batch of role and grant changes (a policy
	// import) in one write transaction, recording every change: either all of
	// it is applied or, on any error, nothing. See PolicyPlan for the order.
	ApplyPolicyPlan(ctx context.Context, plan PolicyPlan) error

	// PolicySnapshot reads everything the policy engine needs, consistently,
	// together with the Seq of the last change it reflects.
	PolicySnapshot(ctx context.Context) (PolicySnapshot, error)

	// Audit.
	ListAudit(ctx context.Context, q AuditQuery) (Page[AuditRecord], error)
	// ScanAudit calls fn for every record in Seq order, starting after afterSeq.
	ScanAudit(ctx context.Context, afterSeq int64, fn func(AuditRecord) error) error

	// Change history.
	ListChanges(ctx context.Context, q ChangeQuery) (Page[Change], error)

	// Citizen-list orders.
	CreateListOrder(ctx context.Context, o ListOrder) (ListOrder, error)
	GetListOrder(ctx context.Context, id string) (ListOrder, error)
	ListListOrders(ctx context.Context, q ListOrderQuery) ([]ListOrder, error)
	UpdateListOrder(ctx context.Context, id string, update func(ListOrder) (ListOrder, error)) (ListOrder, error)

	// Uttrekk jobs ordered through the gateway. RecordExtractJob stores
	// the orderer of a FREG job id (ErrConflict if the id is known);
	// GetExtractJob returns it while unexpired, else ErrNotFound, also for
	// another organisation's job.
	RecordExtractJob(ctx context.Context, j ExtractJob) (ExtractJob, error)
	GetExtractJob(ctx context.Context, id string) (ExtractJob, error)
}

// Page is one page of a listing. StartIndex is 1-based as in SCIM.
type Page[T any] struct {
	Items      []T
	Total      int
	StartIndex int
}

// ListQuery selects users or groups. Results are ordered by creation (then
// id), which is stable across pages.
type ListQuery struct {
	Filter     *Filter
	StartIndex int // 1-based; 0 means 1
	Count      int // 0 means the backend default; negative means none (only Total)
}

// Organisation is a tenant: a kommune, fylkeskommune or interkommunalt
// samarbeid.
type Organisation struct {
	ID            string    `json:"id"`
	OrgNumber     string    `json:"orgNumber"`
	Name          string    `json:"name"`
	Kommunenummer []string  `json:"kommunenummer"`
	CreatedAt     time.Time `json:"createdAt"`
	// SignIn is the organisation's own OIDC tenant for its employees; with
	// no Issuer, the instance's settings apply.
	SignIn SignIn `json:"signIn,omitzero"`
}

// SignIn is an organisation's OIDC tenant (an Entra ID tenant and the
// application registered in it). The client secret is never stored: only
// the path of a file that holds it.
type SignIn struct {
	Issuer           string `json:"issuer,omitempty"`
	ClientID         string `json:"clientId,omitempty"`
	Audience         string `json:"audience,omitempty"` // expected aud of ID tokens; default ClientID
	ClientSecretFile string `json:"clientSecretFile,omitempty"`
	ConsoleGroup     string `json:"consoleGroup,omitempty"`
}

// ExpectedAudience is the aud an ID token of the tenant must carry.
func (s SignIn) ExpectedAudience() string {
	if s.Audience != "" {
		return s.Audience
	}
	return s.ClientID
}

// Token kinds.
const (
	TokenAdmin = "admin"
	TokenSCIM  = "scim"
)

// Token is a bearer token of one organisation. Only hashes are stored: Lookup
// is a short fingerprint to find the row, Hash the argon2id verifier.
type Token struct {
	ID        string    `json:"id"`
	OrgID     string    `json:"orgId"`
	Kind      string    `json:"kind"`
	Name      string    `json:"name"`
	Lookup    string    `json:"-"`
	Hash      string    `json:"-"`
	CreatedAt time.Time `json:"createdAt"`
}

// User is a SCIM user. Attributes holds the full SCIM resource as the client
// sent it (minus id and meta); the typed fields are copies used for indexing.
type User struct {
	ID          string          `json:"id"`
	OrgID       string          `json:"orgId"`
	UserName    string          `json:"userName"`
	ExternalID  string          `json:"externalId,omitempty"`
	DisplayName string          `json:"displayName,omitempty"`
	Active      bool            `json:"active"`
	Attributes  json.RawMessage `json:"attributes,omitempty"`
	Version     int64           `json:"version"`
	CreatedAt   time.Time       `json:"createdAt"`
	UpdatedAt   time.Time       `json:"updatedAt"`
}

// Group is a SCIM group (members are kept apart, see Tenant.ListMembers).
type Group struct {
	ID          string          `json:"id"`
	OrgID       string          `json:"orgId"`
	DisplayName string          `json:"displayName"`
	ExternalID  string          `json:"externalId,omitempty"`
	Attributes  json.RawMessage `json:"attributes,omitempty"`
	Version     int64           `json:"version"`
	CreatedAt   time.Time       `json:"createdAt"`
	UpdatedAt   time.Time       `json:"updatedAt"`
}

// GroupPatch is one change of a group and its members, applied atomically by
// Tenant.PatchGroup.
type GroupPatch struct {
	// Update, if not nil, returns the changed group (ID, OrgID, CreatedAt,
	// Version and UpdatedAt are kept by the store); an error it returns
	// aborts the whole patch.
	Update func(Group) (Group, error)
	// Replace makes Add the complete member list: members not in it are
	// removed, and Remove must be empty.
	Replace bool
	// Add and Remove name user ids. An id in both, or Remove with Replace,
	// is a contradiction the caller must resolve (*ValidationError on
	// "members"), since the store cannot know which was meant.
	Add, Remove []string
}

// Membership links a user to a group.
type Membership struct {
	GroupID string `json:"groupId"`
	UserID  string `json:"userId"`
}

// ServiceArea is a tjenesteområde with its legal basis.
type ServiceArea struct {
	ID                  string    `json:"id"`
	OrgID               string    `json:"-"`
	Name                string    `json:"name"`
	LegalBasis          []string  `json:"legalBasis"`
	ConfidentialAllowed bool      `json:"confidentialAllowed"`
	Builtin             bool      `json:"builtin"`
	CreatedAt           time.Time `json:"createdAt"`
}

// Role usages.
const (
	UsageWebAndM2M = "web+m2m"
	UsageM2M       = "m2m"
)

// Purposes (bruksområder).
const (
	PurposeSearch       = "search"
	PurposeCitizenLists = "citizen-lists"
	PurposeEvents       = "events"
)

// Graded-address display modes.
const (
	GradedHide = "hide"
	GradedShow = "show"
)

// Role is a named, minimised permission to read from FREG within one service
// area.
type Role struct {
	ID              string    `json:"id"`
	OrgID           string    `json:"-"`
	Name            string    `json:"name"`
	Description     string    `json:"description"`
	ServiceAreaID   string    `json:"serviceArea"`
	Usage           string    `json:"usage"`
	Purposes        []string  `json:"purposes"`
	Elements        []string  `json:"elements"`
	GradedAddresses string    `json:"gradedAddresses"`
	CreatedAt       time.Time `json:"createdAt"`
	UpdatedAt       time.Time `json:"updatedAt"`
}

// Integration is a machine caller (fagsystem) authorised for an organisation
// number (the vendor's or the municipality's own).
type Integration struct {
	ID                string    `json:"id"`
	OrgID             string    `json:"-"`
	Name              string    `json:"name"`
	OrgNumber         string    `json:"orgNumber"`
	Description       string    `json:"description"`
	PasswordHash      string    `json:"-"`
	PasswordChangedAt time.Time `json:"passwordChangedAt"`
	CreatedAt         time.Time `json:"createdAt"`
	UpdatedAt         time.Time `json:"updatedAt"`
}

// Grant subject kinds.
const (
	SubjectGroup       = "group"
	SubjectUser        = "user"
	SubjectIntegration = "integration"
)

// Grant gives a role to a group, user or integration, optionally until
// ExpiresAt.
type Grant struct {
	ID        string     `json:"id"`
	OrgID     string     `json:"-"`
	RoleID    string     `json:"roleId"`
	Kind      string     `json:"kind"`
	SubjectID string     `json:"subject"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	CreatedAt time.Time  `json:"createdAt"`
	CreatedBy string     `json:"createdBy"`
}

// GrantQuery filters grants; empty fields match all.
type GrantQuery struct {
	RoleID    string
	Kind      string
	SubjectID string
}

// PolicyPlan is a set of role and grant changes applied atomically by
// Tenant.ApplyPolicyPlan, in this order: DeleteGrants, DeleteRoles (their
// grants go with them), UpdateRoles (full replacement by ID), CreateRoles (an
// ID may be preset so that CreateGrants can refer to the new role),
// CreateGrants. Changing a grant is a delete plus a create.
type PolicyPlan struct {
	DeleteGrants []string
	DeleteRoles  []string
	UpdateRoles  []Role
	CreateRoles  []Role
	CreateGrants []Grant
}

// Empty reports whether the plan changes nothing.
func (p PolicyPlan) Empty() bool {
	return len(p.DeleteGrants)+len(p.DeleteRoles)+len(p.UpdateRoles)+len(p.CreateRoles)+len(p.CreateGrants) == 0
}

// PolicySnapshot is what the policy engine loads at start.
type PolicySnapshot struct {
	ActiveUsers  []string // ids of users with active = true
	Memberships  []Membership
	Roles        []Role
	ServiceAreas []ServiceArea
	Integrations []string // ids
	Grants       []Grant
	LastSeq      int64
}

// Audit decisions.
const (
	DecisionAllow = "allow"
	DecisionDeny  = "deny"
)

// AuditRecord is one request through the gateway (or a list download, an
// oppvekst request ...). Records are hash-chained per organisation.
type AuditRecord struct {
	Seq            int64           `json:"seq"`
	OrgID          string          `json:"-"`
	Time           time.Time       `json:"time"`
	RequestID      string          `json:"requestId"`
	SubjectKind    string          `json:"subjectKind"`
	SubjectID      string          `json:"subjectId"`
	SubjectName    string          `json:"subjectName,omitempty"`
	RoleID         string          `json:"roleId,omitempty"`
	ServiceArea    string          `json:"serviceArea,omitempty"`
	LegalBasis     []string        `json:"legalBasis,omitempty"`
	Purpose        string          `json:"purpose,omitempty"`
	Action         string          `json:"action"`
	Persons        []string        `json:"persons,omitempty"`
	Criteria       json.RawMessage `json:"criteria,omitempty"`
	Elements       []string        `json:"elements,omitempty"`
	GradedRevealed bool            `json:"gradedRevealed"`
	Decision       string          `json:"decision"`
	Status         int             `json:"status"`
	Reason         string          `json:"reason,omitempty"`
	PrevHash       string          `json:"prevHash"`
	Hash           string          `json:"hash"`
}

// AuditQuery filters audit records; zero fields match all.
type AuditQuery struct {
	Person     string
	SubjectID  string
	RoleID     string
	Decision   string
	From, To   time.Time
	StartIndex int // 1-based
	Count      int
}

// Change is one entry of the policy change history. Before/After are the JSON
// of the entity (nil on create/delete respectively); for membership changes
// After is a MembershipDelta.
type Change struct {
	Seq      int64           `json:"seq"`
	OrgID    string          `json:"-"`
	Time     time.Time       `json:"time"`
	Actor    string          `json:"actor"`
	Action   string          `json:"action"`
	Entity   string          `json:"entity"`
	EntityID string          `json:"entityId"`
	Before   json.RawMessage `json:"before,omitempty"`
	After    json.RawMessage `json:"after,omitempty"`
}

// Change actions.
const (
	ActionCreate        = "create"
	ActionUpdate        = "update"
	ActionDelete        = "delete"
	ActionAddMembers    = "add-members"
	ActionRemoveMembers = "remove-members"
)

// Change entities.
const (
	EntityOrganisation = "organisation"
	EntityToken        = "token"
	EntityUser         = "user"
	EntityGroup        = "group"
	EntityMembership   = "membership"
	EntityServiceArea  = "service-area"
	EntityRole         = "role"
	EntityIntegration  = "integration"
	EntityGrant        = "grant"
)

// MembershipDelta is the After of add-members / remove-members changes.
type MembershipDelta struct {
	GroupID string   `json:"groupId"`
	UserIDs []string `json:"userIds"`
}

// ChangeQuery filters the change history.
type ChangeQuery struct {
	Entity     string
	EntityID   string
	Actor      string
	From, To   time.Time
	StartIndex int
	Count      int
}

// List-order statuses.
const (
	OrderQueued    = "queued"
	OrderRunning   = "running"
	OrderDone      = "done"
	OrderFailed    = "failed"
	OrderCancelled = "cancelled"
	OrderExpired   = "expired"
)

// ListOrder is a citizen-list (innbyggerliste) order.
type ListOrder struct {
	ID          string          `json:"id"`
	OrgID       string          `json:"-"`
	RoleID      string          `json:"roleId"`
	SubjectKind string          `json:"subjectKind"`
	SubjectID   string          `json:"subjectId"`
	Criteria    json.RawMessage `json:"criteria"`
	Elements    []string        `json:"elements"`
	Format      string          `json:"format"`
	Status      string          `json:"status"`
	Done        int             `json:"done"`
	Total       int             `json:"total"`
	Rows        int             `json:"rows"`
	File        string          `json:"-"`
	Error       string          `json:"error,omitempty"`
	CreatedAt   time.Time       `json:"createdAt"`
	UpdatedAt   time.Time       `json:"updatedAt"`
	FinishedAt  *time.Time      `json:"finishedAt,omitempty"`
	ExpiresAt   *time.Time      `json:"expiresAt,omitempty"`
}

// ExtractJob records which organisation and role ordered a FREG uttrekk
// job: its id lets anyone holding it read the batches, so the gateway
// serves them only to the orderer.
type ExtractJob struct {
	ID        string    `json:"id"`
	OrgID     string    `json:"-"`
	RoleID    string    `json:"roleId"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// ListOrderQuery filters orders; empty fields match all.
type ListOrderQuery struct {
	SubjectKind string
	SubjectID   string
	Status      string
}
