package admin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gopkg.in/yaml.v3"

	"folkevakt/store"
)

// PolicyFileVersion is the version of the policy-as-code format.
const PolicyFileVersion = 1

// PolicyFile is an organisation's roles and their grants as a human-editable
// YAML document (docs/policy-as-code.md).
type PolicyFile struct {
	Version      int          `yaml:"version"`
	Organisation string       `yaml:"organisation"`
	Roles        []PolicyRole `yaml:"roles"`
}

// PolicyRole is one role in a policy file; roles are matched by name.
type PolicyRole struct {
	Name            string        `yaml:"name"`
	Description     string        `yaml:"description"`
	ServiceArea     string        `yaml:"serviceArea"`
	Usage           string        `yaml:"usage"`
	Purposes        []string      `yaml:"purposes,flow"`
	Elements        []string      `yaml:"elements"`
	GradedAddresses string        `yaml:"gradedAddresses"`
	Grants          []PolicyGrant `yaml:"grants,omitempty"`
}

// PolicyGrant names exactly one subject: a group (displayName or id), a
// user (userName or id) or an integration (name or id).
type PolicyGrant struct {
	Group       string `yaml:"group,omitempty"`
	User        string `yaml:"user,omitempty"`
	Integration string `yaml:"integration,omitempty"`
	ExpiresAt   string `yaml:"expiresAt,omitempty"` // RFC 3339
}

func (g PolicyGrant) kindLabel() (kind, label string, n int) {
	for _, c := range []struct{ k, v string }{{store.SubjectGroup, g.Group}, {store.SubjectUser, g.User}, {store.SubjectIntegration, g.Integration}} {
		if c.v != "" {
			kind, label, n = c.k, c.v, n+1
		}
	}
	return kind, label, n
}

const policyHeader = "# folkevakt policy: roles and their grants. Edit, then apply with\n" +
	"#   folkevakt policy import --org <orgNumber> --file <this file> [--dry-run] [--prune]\n"

// ExportPolicy writes the organisation's roles (sorted by name) and grants as
// YAML. Grants name their subject by displayName / userName / integration
// name where that is unambiguous, by id otherwise.
func (s *Service) ExportPolicy(ctx context.Context, orgID string, w io.Writer) error {
	f, err := s.policyFile(ctx, orgID)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteString(policyHeader)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return fmt.Errorf("encode policy: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encode policy: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

func (s *Service) policyFile(ctx context.Context, orgID string) (PolicyFile, error) {
	org, err := s.store.GetOrganisation(ctx, orgID)
	if err != nil {
		return PolicyFile{}, notFound("organisation", err)
	}
	tn := s.store.Tenant(orgID)
	roles, err := tn.ListRoles(ctx)
	if err != nil {
		return PolicyFile{}, err
	}
	grants, err := tn.ListGrants(ctx, store.GrantQuery{})
	if err != nil {
		return PolicyFile{}, err
	}
	names := newSubjectNames(s, orgID)
	byRole := map[string][]PolicyGrant{}
	for _, g := range grants {
		label, err := names.label(ctx, g.Kind, g.SubjectID)
		if err != nil {
			return PolicyFile{}, err
		}
		pg := PolicyGrant{}
		switch g.Kind {
		case store.SubjectGroup:
			pg.Group = label
		case store.SubjectUser:
			pg.User = label
		case store.SubjectIntegration:
			pg.Integration = label
		}
		if g.ExpiresAt != nil {
			pg.ExpiresAt = g.ExpiresAt.UTC().Format(time.RFC3339)
		}
		byRole[g.RoleID] = append(byRole[g.RoleID], pg)
	}
	f := PolicyFile{Version: PolicyFileVersion, Organisation: org.OrgNumber, Roles: []PolicyRole{}}
	for _, r := range roles {
		gs := byRole[r.ID]
		slices.SortFunc(gs, compareGrants)
		f.Roles = append(f.Roles, PolicyRole{Name: r.Name, Description: r.Description, ServiceArea: r.ServiceAreaID,
			Usage: r.Usage, Purposes: r.Purposes, Elements: r.Elements, GradedAddresses: r.GradedAddresses, Grants: gs})
	}
	slices.SortStableFunc(f.Roles, func(a, b PolicyRole) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	return f, nil
}

var kindOrder = map[string]int{store.SubjectGroup: 0, store.SubjectUser: 1, store.SubjectIntegration: 2}

func compareGrants(a, b PolicyGrant) int {
	ka, la, _ := a.kindLabel()
	kb, lb, _ := b.kindLabel()
	if d := kindOrder[ka] - kindOrder[kb]; d != 0 {
		return d
	}
	return strings.Compare(la, lb)
}

// subjectNames maps grant subjects to file labels and back, caching lookups.
type subjectNames struct {
	s            *Service
	tn           store.Tenant
	integrations []store.Integration
}

func newSubjectNames(s *Service, orgID string) *subjectNames {
	return &subjectNames{s: s, tn: s.store.Tenant(orgID)}
}

func (n *subjectNames) loadIntegrations(ctx context.Context) error {
	if n.integrations != nil {
		return nil
	}
	l, err := n.tn.ListIntegrations(ctx)
	n.integrations = append([]store.Integration{}, l...)
	return err
}

// label is the human name of a subject if it identifies it uniquely, else
// its id.
func (n *subjectNames) label(ctx context.Context, kind, id string) (string, error) {
	switch kind {
	case store.SubjectGroup:
		g, err := n.tn.GetGroup(ctx, id)
		if err != nil {
			return id, ignoreNotFound(err)
		}
		if got, err := n.resolve(ctx, kind, g.DisplayName); err == nil && got == id {
			return g.DisplayName, nil
		}
	case store.SubjectUser:
		u, err := n.tn.GetUser(ctx, id)
		if err != nil {
			return id, ignoreNotFound(err)
		}
		if got, err := n.resolve(ctx, kind, u.UserName); err == nil && got == id {
			return u.UserName, nil
		}
	case store.SubjectIntegration:
		if err := n.loadIntegrations(ctx); err != nil {
			return "", err
		}
		for _, i := range n.integrations {
			if i.ID == id {
				if got, err := n.resolve(ctx, kind, i.Name); err == nil && got == id {
					return i.Name, nil
				}
			}
		}
	}
	return id, nil
}

func ignoreNotFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// errAmbiguous and errNoSubject are resolve's verdicts on a label.
var (
	errAmbiguous = errors.New("ambiguous")
	errNoSubject = errors.New("no such subject")
)

// resolve turns a label into a subject id: an id of the kind wins, then a
// unique name.
func (n *subjectNames) resolve(ctx context.Context, kind, label string) (string, error) {
	switch kind {
	case store.SubjectGroup:
		if _, err := n.tn.GetGroup(ctx, label); err == nil {
			return label, nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return "", err
		}
		p, err := n.tn.ListGroups(ctx, store.ListQuery{Filter: &store.Filter{Op: store.OpEq, Attr: "displayName", Value: label}, Count: 2})
		if err != nil {
			return "", err
		}
		switch len(p.Items) {
		case 0:
			return "", errNoSubject
		case 1:
			return p.Items[0].ID, nil
		}
		return "", errAmbiguous
	case store.SubjectUser:
		if _, err := n.tn.GetUser(ctx, label); err == nil {
			return label, nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return "", err
		}
		u, err := n.tn.GetUserByUserName(ctx, label)
		if errors.Is(err, store.ErrNotFound) {
			return "", errNoSubject
		}
		return u.ID, err
	case store.SubjectIntegration:
		if err := n.loadIntegrations(ctx); err != nil {
			return "", err
		}
		var found []string
		for _, i := range n.integrations {
			if i.ID == label {
				return i.ID, nil
			}
			if i.Name == label {
				found = append(found, i.ID)
			}
		}
		switch len(found) {
		case 0:
			return "", errNoSubject
		case 1:
			return found[0], nil
		}
		return "", errAmbiguous
	}
	return "", errNoSubject
}

// DiffEntry is one line of an import's diff.
type DiffEntry struct {
	Op      string `json:"op"`   // create, update, delete or keep
	Kind    string `json:"kind"` // role or grant
	Role    string `json:"role"`
	Subject string `json:"subject,omitempty"` // "group Skole" for grants
	Detail  string `json:"detail,omitempty"`
}

func (d DiffEntry) String() string {
	sign := map[string]string{"create": "+", "update": "~", "delete": "-", "keep": "="}[d.Op]
	var b strings.Builder
	if d.Kind == "role" {
		fmt.Fprintf(&b, "%s role %q", sign, d.Role)
	} else {
		fmt.Fprintf(&b, "%s grant of %q to %s", sign, d.Role, d.Subject)
	}
	if d.Detail != "" {
		b.WriteString(": " + d.Detail)
	}
	return b.String()
}

// ImportOptions control ImportPolicy.
type ImportOptions struct {
	// DryRun computes the diff and changes nothing.
	DryRun bool
	// Prune deletes stored roles (and their grants) that the file does not
	// name; without it they are kept and reported.
	Prune bool
}

// ImportResult is the diff of an import and whether it was applied.
type ImportResult struct {
	Diff    []DiffEntry `json:"diff"`
	Applied bool        `json:"applied"`
}

// Changes counts the entries that change something (not "keep").
func (r ImportResult) Changes() int {
	n := 0
	for _, d := range r.Diff {
		if d.Op != "keep" {
			n++
		}
	}
	return n
}

// ImportPolicy reads a policy file, computes the diff against what is stored
// and, unless DryRun, applies it in one transaction (actor
// "import:<actor of ctx>"). Roles are matched by name (case-insensitively);
// the grants of every role in the file are exactly those the file lists.
// Every problem is a ValidationError naming its place in the file, and
// nothing is written.
func (s *Service) ImportPolicy(ctx context.Context, orgID string, r io.Reader, o ImportOptions) (ImportResult, error) {
	org, err := s.store.GetOrganisation(ctx, orgID)
	if err != nil {
		return ImportResult{}, notFound("organisation", err)
	}
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	var f PolicyFile
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return ImportResult{}, store.Invalid("file", "is empty")
		}
		return ImportResult{}, store.Invalid("file", "%v", err)
	}
	if f.Version != PolicyFileVersion {
		return ImportResult{}, store.Invalid("version", "must be %d", PolicyFileVersion)
	}
	if f.Organisation != "" && f.Organisation != org.OrgNumber {
		return ImportResult{}, store.Invalid("organisation", "the file is for organisation %s, not %s", f.Organisation, org.OrgNumber)
	}
	tn := s.store.Tenant(orgID)
	stored, err := tn.ListRoles(ctx)
	if err != nil {
		return ImportResult{}, err
	}
	allGrants, err := tn.ListGrants(ctx, store.GrantQuery{})
	if err != nil {
		return ImportResult{}, err
	}
	grantsOf := map[string][]store.Grant{}
	for _, g := range allGrants {
		grantsOf[g.RoleID] = append(grantsOf[g.RoleID], g)
	}
	byName := map[string]store.Role{}
	for _, r := range stored {
		byName[strings.ToLower(r.Name)] = r
	}
	names := newSubjectNames(s, orgID)
	now := s.now()
	var res ImportResult
	var plan store.PolicyPlan
	inFile := map[string]bool{}
	for i, pr := range f.Roles {
		prefix := fmt.Sprintf("roles[%d].", i)
		want, err := s.normaliseRole(ctx, orgID, RoleInput{Name: pr.Name, Description: pr.Description, ServiceArea: pr.ServiceArea,
			Usage: pr.Usage, Purposes: pr.Purposes, Elements: pr.Elements, GradedAddresses: pr.GradedAddresses}, prefix)
		if err != nil {
			return ImportResult{}, err
		}
		key := strings.ToLower(want.Name)
		if inFile[key] {
			return ImportResult{}, store.Invalid(prefix+"name", "role %q appears twice in the file", want.Name)
		}
		inFile[key] = true
		cur, exists := byName[key]
		if !exists {
			want.ID = uuid.NewString()
			plan.CreateRoles = append(plan.CreateRoles, want)
			res.Diff = append(res.Diff, DiffEntry{Op: "create", Kind: "role", Role: want.Name})
		} else {
			want.ID = cur.ID
			if d := roleDiff(cur, want); d != "" {
				plan.UpdateRoles = append(plan.UpdateRoles, want)
				res.Diff = append(res.Diff, DiffEntry{Op: "update", Kind: "role", Role: want.Name, Detail: d})
			}
		}
		existing := map[string]store.Grant{}
		for _, g := range grantsOf[want.ID] {
			existing[g.Kind+":"+g.SubjectID] = g
		}
		listed := map[string]bool{}
		for j, pg := range pr.Grants {
			gp := fmt.Sprintf("%sgrants[%d]", prefix, j)
			kind, label, n := pg.kindLabel()
			if n != 1 {
				return ImportResult{}, store.Invalid(gp, "name exactly one of group, user or integration")
			}
			id, err := names.resolve(ctx, kind, label)
			switch {
			case errors.Is(err, errNoSubject):
				return ImportResult{}, store.Invalid(gp+"."+kind, "no %s with name or id %q in this organisation", kind, label)
			case errors.Is(err, errAmbiguous):
				return ImportResult{}, store.Invalid(gp+"."+kind, "several %ss are named %q: use the id", kind, label)
			case err != nil:
				return ImportResult{}, err
			}
			var expires *time.Time
			if pg.ExpiresAt != "" {
				t, err := time.Parse(time.RFC3339, pg.ExpiresAt)
				if err != nil {
					return ImportResult{}, store.Invalid(gp+".expiresAt", "not an RFC 3339 time (e.g. 2027-01-31T00:00:00Z)")
				}
				t = t.UTC()
				expires = &t
			}
			k := kind + ":" + id
			if listed[k] {
				return ImportResult{}, store.Invalid(gp+"."+kind, "%s %q is listed twice for this role", kind, label)
			}
			listed[k] = true
			subject := fmt.Sprintf("%s %q", kind, label)
			old, had := existing[k]
			if had && sameExpiry(old.ExpiresAt, expires) {
				continue
			}
			if expires != nil && !expires.After(now) {
				return ImportResult{}, store.Invalid(gp+".expiresAt", "must be in the future")
			}
			g := store.Grant{RoleID: want.ID, Kind: kind, SubjectID: id, ExpiresAt: expires}
			plan.CreateGrants = append(plan.CreateGrants, g)
			if had {
				plan.DeleteGrants = append(plan.DeleteGrants, old.ID)
				res.Diff = append(res.Diff, DiffEntry{Op: "update", Kind: "grant", Role: want.Name, Subject: subject,
					Detail: fmt.Sprintf("expiresAt %s → %s", fmtExpiry(old.ExpiresAt), fmtExpiry(expires))})
			} else {
				res.Diff = append(res.Diff, DiffEntry{Op: "create", Kind: "grant", Role: want.Name, Subject: subject, Detail: expiryDetail(expires)})
			}
		}
		for _, g := range grantsOf[want.ID] {
			if listed[g.Kind+":"+g.SubjectID] {
				continue
			}
			label, err := names.label(ctx, g.Kind, g.SubjectID)
			if err != nil {
				return ImportResult{}, err
			}
			plan.DeleteGrants = append(plan.DeleteGrants, g.ID)
			res.Diff = append(res.Diff, DiffEntry{Op: "delete", Kind: "grant", Role: want.Name, Subject: fmt.Sprintf("%s %q", g.Kind, label)})
		}
	}
	for _, r := range stored {
		if inFile[strings.ToLower(r.Name)] {
			continue
		}
		n := len(grantsOf[r.ID])
		if o.Prune {
			plan.DeleteRoles = append(plan.DeleteRoles, r.ID)
			res.Diff = append(res.Diff, DiffEntry{Op: "delete", Kind: "role", Role: r.Name, Detail: fmt.Sprintf("not in the file; its %d grant(s) go with it", n)})
		} else {
			res.Diff = append(res.Diff, DiffEntry{Op: "keep", Kind: "role", Role: r.Name, Detail: "not in the file; kept (use prune to delete it)"})
		}
	}
	if o.DryRun || plan.Empty() {
		return res, nil
	}
	ctx = store.WithActor(ctx, "import:"+store.ActorFrom(ctx))
	if err := tn.ApplyPolicyPlan(ctx, plan); err != nil {
		return res, err
	}
	res.Applied = true
	return res, nil
}

func sameExpiry(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Truncate(time.Second).Equal(b.Truncate(time.Second))
}

func fmtExpiry(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

func expiryDetail(t *time.Time) string {
	if t == nil {
		return ""
	}
	return "expires " + fmtExpiry(t)
}

// roleDiff describes how want differs from cur ("" when equal).
func roleDiff(cur, want store.Role) string {
	var parts []string
	str := func(field, a, b string) {
		if a != b {
			parts = append(parts, fmt.Sprintf("%s %q → %q", field, a, b))
		}
	}
	str("name", cur.Name, want.Name)
	str("description", cur.Description, want.Description)
	str("serviceArea", cur.ServiceAreaID, want.ServiceAreaID)
	str("usage", cur.Usage, want.Usage)
	str("gradedAddresses", cur.GradedAddresses, want.GradedAddresses)
	list := func(field string, a, b []string) {
		var d []string
		for _, x := range b {
			if !slices.Contains(a, x) {
				d = append(d, "+"+x)
			}
		}
		for _, x := range a {
			if !slices.Contains(b, x) {
				d = append(d, "-"+x)
			}
		}
		if len(d) > 0 {
			parts = append(parts, field+" "+strings.Join(d, " "))
		}
	}
	list("purposes", cur.Purposes, want.Purposes)
	list("elements", cur.Elements, want.Elements)
	return strings.Join(parts, "; ")
}
