// Package access is the one read path to Folkeregisteret: for a caller
// acting in a role and a typed request it decides (policy), fetches (FREG
// client), reduces (what the role may see) and audits (durably, before it
// returns), and answers with the reduced data or a typed *Error. Every
// transport (the FREG routes, citizen lists, oppvekst, the portal) is a thin
// layer over it; each rule of the read path has its one home here (rules.go,
// criteria.go). The API has no HTTP types.
package access

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"time"

	"folkevakt/gateway/freg"
	"folkevakt/policy"
	"folkevakt/store"
)

// Decider answers policy questions (implemented by *policy.Engine).
type Decider interface {
	Decide(orgID string, q policy.Query) policy.Decision
}

// AuditWriter durably records one audit record (implemented by
// *audit.Writer); Write returns once the record is committed.
type AuditWriter interface {
	Write(ctx context.Context, rec store.AuditRecord) (store.AuditRecord, error)
}

// Observer receives the service's metrics; nil methods are not called.
type Observer interface {
	// Upstream is one FREG call: its operation, duration and failure kind
	// ("" when it succeeded or failed for the caller's reasons).
	Upstream(op string, took time.Duration, kind string)
	// Decision is one answered read: allow or deny, and its reason ("ok").
	Decision(decision, reason string)
	// Unattributed is a refusal without an organisation to audit it in.
	Unattributed(reason string)
	// AuditFailure is a read refused because its record was not written.
	AuditFailure()
	// FeedUnknown counts feed items dropped for an unknown hendelsetype.
	FeedUnknown(n int)
}

// Options are the Service's dependencies.
type Options struct {
	Store    store.Store
	Policy   Decider
	Upstream freg.Client
	Audit    AuditWriter
	Logger   *slog.Logger
	Observer Observer
	// UpstreamTimeout bounds one upstream call (default 10 s).
	UpstreamTimeout time.Duration
	Now             func() time.Time
}

// Service performs every read of FREG data.
type Service struct {
	store    store.Store
	policy   Decider
	upstream freg.Client
	audit    AuditWriter
	log      *slog.Logger
	obs      Observer
	timeout  time.Duration
	now      func() time.Time
}

// New returns the Service.
func New(o Options) *Service {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.UpstreamTimeout <= 0 {
		o.UpstreamTimeout = 10 * time.Second
	}
	if o.Observer == nil {
		o.Observer = noObserver{}
	}
	return &Service{store: o.Store, policy: o.Policy, upstream: o.Upstream, audit: o.Audit, log: o.Logger,
		obs: o.Observer, timeout: o.UpstreamTimeout, now: o.Now}
}

// Caller is who reads, through which role, as the transport authenticated
// it. OrgID is "" when the organisation is unknown (then a refusal cannot be
// audited); Role.ID is the role asked for even when it does not exist.
type Caller struct {
	OrgID       string
	SubjectKind string // store.SubjectUser | store.SubjectIntegration
	SubjectID   string
	SubjectName string // for audit records only
	RequestID   string
	// Action names the operation in the audit record, as the transport
	// calls it (for HTTP "GET /folkeregister/api/v1/:rolleId/v1/personer/:id").
	Action string
	Role   store.Role
	Area   store.ServiceArea
}

// read is one read on its way through the service: its audit record and
// whether the policy allowed it.
type read struct {
	s       *Service
	c       *Caller
	rec     store.AuditRecord
	allowed bool
	// okStatus is the status of an allowed read (default 200).
	okStatus int
}

func (s *Service) begin(c *Caller, purpose string) *read {
	return &read{s: s, c: c, rec: store.AuditRecord{
		Time: s.now(), RequestID: c.RequestID, SubjectKind: c.SubjectKind, SubjectID: c.SubjectID,
		SubjectName: c.SubjectName, RoleID: c.Role.ID, ServiceArea: c.Area.ID, LegalBasis: c.Area.LegalBasis,
		Purpose: purpose, Action: c.Action,
	}}
}

// Refuse audits a read the transport refused before it reached the service
// (failed authentication, malformed input) and returns err as an *Error.
// persons are the identity numbers the attempt named (audited so that a
// person's trail shows every attempt).
func (s *Service) Refuse(ctx context.Context, c Caller, purpose string, persons []string, err error) *Error {
	r := s.begin(&c, purpose)
	r.rec.Persons = persons
	return r.finish(ctx, err)
}

// finish completes and writes the audit record. The record is durable
// before finish returns; when it cannot be written, the read fails with
// ReasonAudit and nothing may be answered.
func (r *read) finish(ctx context.Context, err error) *Error {
	var e *Error
	status := 200
	if r.okStatus != 0 {
		status = r.okStatus
	}
	if err != nil {
		var kind string
		e, kind = AsError(err)
		if kind != "" {
			if e.Status() >= 500 || errors.Is(err, freg.ErrInvalid) {
				// The upstream's text may hold personal data: only the kind
				// and the redacted error go to the log, never to the caller.
				r.s.log.Error("upstream call failed", "request_id", r.rec.RequestID, "action", r.rec.Action, "kind", kind,
					"err", freg.RedactIdentityNumbers(errorClass(err)))
			}
		}
		status = e.Status()
		r.rec.Reason = string(e.Reason)
		if e.AuditReason != "" {
			r.rec.Reason = e.AuditReason
		}
		// Nothing of a refused or failed read names elements it returned.
		r.rec.GradedRevealed = false
	}
	r.rec.Status = status
	r.rec.Decision = store.DecisionDeny
	if r.allowed && status != 400 {
		r.rec.Decision = store.DecisionAllow
	}
	if r.rec.Decision == store.DecisionDeny && r.rec.Reason == "" {
		r.rec.Reason = string(ReasonInvalid)
	}
	if !r.allowed {
		r.rec.Elements = nil
	}
	reason := r.rec.Reason
	if reason == "" {
		reason = "ok"
	}
	r.s.obs.Decision(r.rec.Decision, reason)
	if r.c.OrgID == "" {
		r.s.obs.Unattributed(reason)
		return e
	}
	r.rec.OrgID = r.c.OrgID
	// The record outlives a caller that gave up: data may have been read.
	if _, werr := r.s.audit.Write(context.WithoutCancel(ctx), r.rec); werr != nil {
		r.s.obs.AuditFailure()
		r.s.log.Error("audit write failed", "request_id", r.rec.RequestID, "action", r.rec.Action, "err", werr)
		return deny(ReasonAudit, "the request could not be audited and was not answered")
	}
	return e
}

// errorClass is the text of err for the log: the FREG client's sentinel
// chain without the upstream's message, which may name persons.
func errorClass(err error) string {
	for _, k := range []error{freg.ErrInvalid, freg.ErrThrottled, freg.ErrTimeout, freg.ErrForbidden, freg.ErrUpstream, context.DeadlineExceeded} {
		if errors.Is(err, k) {
			return k.Error()
		}
	}
	return err.Error()
}

// internal logs err once and returns its Failure.
func (r *read) internal(err error, op string) *Error {
	r.s.log.Error("internal error", "request_id", r.rec.RequestID, "action", r.rec.Action, "op", op, "err", err)
	return Failure(err)
}

// upstream runs fn with the upstream deadline and records its duration.
func upstream[T any](ctx context.Context, r *read, op string, fn func(ctx context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, r.s.timeout)
	defer cancel()
	start := r.s.now()
	v, err := fn(ctx)
	kind := ""
	if err != nil {
		_, kind = AsError(err)
	}
	r.s.obs.Upstream(op, r.s.now().Sub(start), kind)
	return v, err
}

// setPersons records the distinct identity numbers a read disclosed.
func (r *read) setPersons(ids []string) { r.rec.Persons = uniq(ids) }

func criteriaJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// uniq returns the sorted distinct values of xs.
func uniq(xs []string) []string {
	if len(xs) == 0 {
		return nil
	}
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}

type noObserver struct{}

func (noObserver) Upstream(string, time.Duration, string) {}
func (noObserver) Decision(string, string)                {}
func (noObserver) Unattributed(string)                    {}
func (noObserver) AuditFailure()                          {}
func (noObserver) FeedUnknown(int)                        {}
