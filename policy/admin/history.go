package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"folkevakt/gateway/freg"

	"folkevakt/policy"
	"folkevakt/store"
)

// Paging bounds for audit and change listings.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

func checkPaging(startIndex, count int) (int, int, error) {
	if startIndex < 0 {
		return 0, 0, store.Invalid("startIndex", "must be 1 or more")
	}
	if startIndex == 0 {
		startIndex = 1
	}
	switch {
	case count < 0 || count > MaxPageSize:
		return 0, 0, store.Invalid("count", "must be from 0 to %d", MaxPageSize)
	case count == 0:
		count = DefaultPageSize
	}
	return startIndex, count, nil
}

// QueryAudit returns one page of the organisation's audit records.
func (s *Service) QueryAudit(ctx context.Context, orgID string, q store.AuditQuery) (store.Page[store.AuditRecord], error) {
	var err error
	if q.StartIndex, q.Count, err = checkPaging(q.StartIndex, q.Count); err != nil {
		return store.Page[store.AuditRecord]{}, err
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return store.Page[store.AuditRecord]{}, store.Invalid("to", "must be after from")
	}
	if q.Decision != "" && q.Decision != store.DecisionAllow && q.Decision != store.DecisionDeny {
		return store.Page[store.AuditRecord]{}, store.Invalid("decision", "must be %q or %q", store.DecisionAllow, store.DecisionDeny)
	}
	p, err := s.store.Tenant(orgID).ListAudit(ctx, q)
	if err != nil {
		return p, err
	}
	// Reading who has seen a person's data is itself a read of it.
	criteria := map[string]any{"subject": q.SubjectID, "role": q.RoleID, "decision": q.Decision,
		"startIndex": q.StartIndex, "count": q.Count}
	if !q.From.IsZero() {
		criteria["from"] = q.From
	}
	if !q.To.IsZero() {
		criteria["to"] = q.To
	}
	if err := s.NoteAuditRead(ctx, orgID, ActionAuditQuery, q.Person, criteria); err != nil {
		return store.Page[store.AuditRecord]{}, err
	}
	return p, nil
}

// Actions of the audit records written when the audit log is read.
const (
	ActionAuditQuery  = "audit-query"
	ActionAuditVerify = "audit-verify"
)

// NoteAuditRead durably records that the actor of ctx (admin token,
// console user, CLI operator) read the organisation's audit log: the one
// place where reading the log is itself audited. person is the identity
// number asked about, if any.
func (s *Service) NoteAuditRead(ctx context.Context, orgID, action, person string, criteria any) error {
	rec := store.AuditRecord{OrgID: orgID, Time: s.now(), SubjectKind: "operator", SubjectID: store.ActorFrom(ctx),
		Action: action, Purpose: "audit", Decision: store.DecisionAllow, Status: 200}
	if person != "" {
		rec.Persons = []string{person}
	}
	if criteria != nil {
		b, err := json.Marshal(criteria)
		if err != nil {
			return err
		}
		rec.Criteria = b
	}
	if _, err := s.store.AppendAudit(context.WithoutCancel(ctx), []store.AuditRecord{rec}); err != nil {
		return fmt.Errorf("audit the audit read: %w", err)
	}
	return nil
}

// QueryChanges returns one page of the organisation's change history,
// newest first.
func (s *Service) QueryChanges(ctx context.Context, orgID string, q store.ChangeQuery) (store.Page[store.Change], error) {
	var err error
	if q.StartIndex, q.Count, err = checkPaging(q.StartIndex, q.Count); err != nil {
		return store.Page[store.Change]{}, err
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return store.Page[store.Change]{}, store.Invalid("to", "must be after from")
	}
	return s.store.Tenant(orgID).ListChanges(ctx, q)
}

// Explain answers whether subject may use role for purpose and elements, with
// the chain of grants and rules behind it, as the engine decides now. The
// role must exist in the organisation.
func (s *Service) Explain(ctx context.Context, engine *policy.Engine, orgID string, q policy.Query) (policy.Explanation, error) {
	switch q.Subject.Kind {
	case store.SubjectUser, store.SubjectGroup, store.SubjectIntegration:
	default:
		return policy.Explanation{}, store.Invalid("subject", "must be user:<id>, group:<id> or integration:<id>")
	}
	if q.Subject.ID == "" {
		return policy.Explanation{}, store.Invalid("subject", "must be user:<id>, group:<id> or integration:<id>")
	}
	if q.RoleID == "" {
		return policy.Explanation{}, store.Invalid("role", "must not be empty")
	}
	if _, err := s.GetRole(ctx, orgID, q.RoleID); err != nil {
		return policy.Explanation{}, err
	}
	if q.Purpose == "" {
		q.Purpose = store.PurposeSearch
	}
	if !slices.Contains(purposeOrder, q.Purpose) {
		return policy.Explanation{}, store.Invalid("purpose", "unknown purpose %q (want %s)", q.Purpose, strings.Join(purposeOrder, ", "))
	}
	for _, el := range q.Elements {
		if _, ok := freg.LookupElement(el); !ok {
			return policy.Explanation{}, store.Invalid("element", "unknown element %q", el)
		}
	}
	if q.Elements == nil {
		q.Elements = []string{}
	}
	return engine.Explain(orgID, q), nil
}
