package policy

import (
	"fmt"
	"time"

	"folkevakt/gateway/freg"
)

// Step is one rule the decision went through.
type Step struct {
	Rule      string     `json:"rule"`
	OK        bool       `json:"ok"`
	Detail    string     `json:"detail"`
	GrantID   string     `json:"grantId,omitempty"`
	Via       string     `json:"via,omitempty"` // "group:<id>" when a grant came through a group
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
}

// Explanation is a decision with the chain of rules and grants behind it.
type Explanation struct {
	Allowed  bool     `json:"allowed"`
	Reason   string   `json:"reason,omitempty"`
	Subject  string   `json:"subject"`
	RoleID   string   `json:"role"`
	Purpose  string   `json:"purpose"`
	Elements []string `json:"elements"`
	Steps    []Step   `json:"steps"`
}

// Explain answers q like Decide and lists every rule it checked. The verdict
// is Decide's own, so the explanation can never disagree with enforcement.
func (e *Engine) Explain(orgID string, q Query) Explanation {
	d := e.Decide(orgID, q)
	x := Explanation{Allowed: d.Allowed, Reason: d.Reason, Subject: q.Subject.key(), RoleID: q.RoleID, Purpose: q.Purpose, Elements: q.Elements}
	op := e.org(orgID)
	if op == nil || d.Reason == ReasonUnknownRole {
		x.Steps = append(x.Steps, Step{Rule: "role", Detail: "the role does not exist in this organisation"})
		return x
	}
	op.mu.RLock()
	defer op.mu.RUnlock()
	roleKey := prefixRole + q.RoleID
	area := op.areas[d.Role.ServiceAreaID]
	x.Steps = append(x.Steps, Step{Rule: "role", OK: true,
		Detail: fmt.Sprintf("role %q in tjenesteområde %q (legal basis: %v)", d.Role.Name, area.Name, area.LegalBasis)})

	subject := q.Subject.key()
	live := op.links.subjectLive(subject)
	x.Steps = append(x.Steps, Step{Rule: "subject", OK: live, Detail: subjectDetail(q.Subject, live)})
	if g, via, ok := op.links.path(subject, roleKey); ok {
		s := Step{Rule: "grant", OK: true, GrantID: g.id, Via: via, Detail: "granted directly"}
		if via != "" {
			s.Detail = "granted through membership of " + via
		}
		if !g.expires.IsZero() {
			t := g.expires
			s.ExpiresAt = &t
		}
		x.Steps = append(x.Steps, s)
	} else if live {
		x.Steps = append(x.Steps, Step{Rule: "grant", Detail: "no valid grant of the role to the subject or any of its groups (none, revoked or expired)"})
	}
	hasPurpose := op.perms.hasPurpose(roleKey, q.Purpose)
	x.Steps = append(x.Steps, Step{Rule: "purpose", OK: hasPurpose, Detail: "bruksområde " + q.Purpose})
	for _, el := range q.Elements {
		inRole, _ := op.perms.HasLink(roleKey, prefixElement+el)
		meta, known := freg.LookupElement(el)
		s := Step{Rule: "element", OK: inRole && known, Detail: fmt.Sprintf("element %s is in the role", el)}
		if !s.OK {
			s.Detail = fmt.Sprintf("element %s is not in the role", el)
		}
		x.Steps = append(x.Steps, s)
		if known && meta.Confidential {
			x.Steps = append(x.Steps, Step{Rule: "confidential", OK: area.ConfidentialAllowed,
				Detail: fmt.Sprintf("%s is taushetsbelagt; tjenesteområde %q allows confidential data: %t", el, area.Name, area.ConfidentialAllowed)})
		}
	}
	return x
}

func subjectDetail(s Subject, live bool) string {
	switch {
	case s.Kind == "user" && live:
		return "user is active"
	case s.Kind == "user":
		return "user is inactive or deleted"
	case s.Kind == "integration" && live:
		return "integration exists"
	case s.Kind == "integration":
		return "integration is unknown or deleted"
	}
	return s.Kind
}
