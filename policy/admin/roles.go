package admin

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"folkevakt/gateway/freg"
	"folkevakt/store"
)

// Limits on free text, so that a pasted document cannot become a role name.
const (
	maxNameLen        = 200
	maxDescriptionLen = 2000
)

// purposeOrder is the canonical order of purposes in stored roles.
var purposeOrder = []string{store.PurposeSearch, store.PurposeCitizenLists, store.PurposeEvents}

// elementIndex is each element's position in the catalogue, the canonical
// order of elements in stored roles.
var elementIndex = func() map[string]int {
	m := make(map[string]int, len(freg.Elements))
	for i, e := range freg.Elements {
		m[e.Name] = i
	}
	return m
}()

// notFound wraps store.ErrNotFound with what was not found.
func notFound(what string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%s not found: %w", what, store.ErrNotFound)
	}
	return err
}

// ListServiceAreas returns the organisation's tjenesteområder.
func (s *Service) ListServiceAreas(ctx context.Context, orgID string) ([]store.ServiceArea, error) {
	return s.store.Tenant(orgID).ListServiceAreas(ctx)
}

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// CreateServiceArea adds an organisation-specific tjenesteområde (operator
// only). The id is a slug so that policy files stay readable and portable.
func (s *Service) CreateServiceArea(ctx context.Context, orgID string, a store.ServiceArea) (store.ServiceArea, error) {
	a.Name = strings.TrimSpace(a.Name)
	switch {
	case !slugRE.MatchString(a.ID):
		return a, store.Invalid("id", "must be a slug of lower-case letters, digits and '-' (at most 63)")
	case a.Name == "":
		return a, store.Invalid("name", "must not be empty")
	case utf8.RuneCountInString(a.Name) > maxNameLen:
		return a, store.Invalid("name", "longer than %d characters", maxNameLen)
	case len(a.LegalBasis) == 0:
		return a, store.Invalid("legalBasis", "at least one legal basis (lovhjemmel) is needed")
	}
	for i, l := range a.LegalBasis {
		if a.LegalBasis[i] = strings.TrimSpace(l); a.LegalBasis[i] == "" {
			return a, store.Invalid("legalBasis", "entry %d is empty", i+1)
		}
	}
	if _, err := s.store.GetOrganisation(ctx, orgID); err != nil {
		return a, notFound("organisation", err)
	}
	out, err := s.store.Tenant(orgID).CreateServiceArea(ctx, a)
	if errors.Is(err, store.ErrConflict) {
		return out, fmt.Errorf("service area %q already exists: %w", a.ID, store.ErrConflict)
	}
	return out, err
}

// Elements returns the FREG element catalogue.
func (s *Service) Elements() []freg.Element { return slices.Clone(freg.Elements) }

// RoleInput is what a caller specifies for a role (create and replace).
type RoleInput struct {
	Name            string   `json:"name" yaml:"name"`
	Description     string   `json:"description" yaml:"description"`
	ServiceArea     string   `json:"serviceArea" yaml:"serviceArea"`
	Usage           string   `json:"usage" yaml:"usage"`
	Purposes        []string `json:"purposes" yaml:"purposes"`
	Elements        []string `json:"elements" yaml:"elements"`
	GradedAddresses string   `json:"gradedAddresses" yaml:"gradedAddresses"`
}

// normaliseRole validates in against the organisation's service areas and
// returns the role to store: identifikasjonsnummer added, duplicates removed,
// purposes and elements in canonical order, gradedAddresses defaulting to
// hide. Errors are *store.ValidationError naming the field (prefix + name).
func (s *Service) normaliseRole(ctx context.Context, orgID string, in RoleInput, prefix string) (store.Role, error) {
	r := store.Role{
		Name:            strings.TrimSpace(in.Name),
		Description:     strings.TrimSpace(in.Description),
		ServiceAreaID:   strings.TrimSpace(in.ServiceArea),
		Usage:           in.Usage,
		GradedAddresses: in.GradedAddresses,
	}
	switch {
	case r.Name == "":
		return r, store.Invalid(prefix+"name", "must not be empty")
	case utf8.RuneCountInString(r.Name) > maxNameLen:
		return r, store.Invalid(prefix+"name", "longer than %d characters", maxNameLen)
	case utf8.RuneCountInString(r.Description) > maxDescriptionLen:
		return r, store.Invalid(prefix+"description", "longer than %d characters", maxDescriptionLen)
	case r.ServiceAreaID == "":
		return r, store.Invalid(prefix+"serviceArea", "must not be empty: choose one tjenesteområde")
	}
	area, err := s.store.Tenant(orgID).GetServiceArea(ctx, r.ServiceAreaID)
	if errors.Is(err, store.ErrNotFound) {
		return r, store.Invalid(prefix+"serviceArea", "unknown service area %q", r.ServiceAreaID)
	} else if err != nil {
		return r, err
	}
	if r.Usage != store.UsageWebAndM2M && r.Usage != store.UsageM2M {
		return r, store.Invalid(prefix+"usage", "must be %q or %q", store.UsageWebAndM2M, store.UsageM2M)
	}
	if len(in.Purposes) == 0 {
		return r, store.Invalid(prefix+"purposes", "at least one purpose is needed (%s)", strings.Join(purposeOrder, ", "))
	}
	for _, p := range in.Purposes {
		if !slices.Contains(purposeOrder, p) {
			return r, store.Invalid(prefix+"purposes", "unknown purpose %q (want %s)", p, strings.Join(purposeOrder, ", "))
		}
	}
	for _, p := range purposeOrder {
		if slices.Contains(in.Purposes, p) {
			r.Purposes = append(r.Purposes, p)
		}
	}
	seen := map[string]bool{"identifikasjonsnummer": true}
	r.Elements = []string{"identifikasjonsnummer"}
	for _, name := range in.Elements {
		el, ok := freg.LookupElement(name)
		if !ok {
			return r, store.Invalid(prefix+"elements", "unknown element %q", name)
		}
		if el.Confidential && !area.ConfidentialAllowed {
			return r, store.Invalid(prefix+"elements", "element %q is confidential (taushetsbelagt) and tjenesteområde %q does not allow confidential data", name, area.Name)
		}
		if !seen[name] {
			seen[name] = true
			r.Elements = append(r.Elements, name)
		}
	}
	slices.SortFunc(r.Elements, func(a, b string) int { return elementIndex[a] - elementIndex[b] })
	switch r.GradedAddresses {
	case "":
		r.GradedAddresses = store.GradedHide
	case store.GradedHide:
	case store.GradedShow:
		if !area.ConfidentialAllowed {
			return r, store.Invalid(prefix+"gradedAddresses", "%q is not possible in tjenesteområde %q, which never sees graded addresses", store.GradedShow, area.Name)
		}
	default:
		return r, store.Invalid(prefix+"gradedAddresses", "must be %q or %q", store.GradedHide, store.GradedShow)
	}
	return r, nil
}

// checkRoleName refuses a name another role of the organisation already has
// (compared case-insensitively): policy files address roles by name.
func (s *Service) checkRoleName(ctx context.Context, orgID, name, exceptID string) error {
	roles, err := s.store.Tenant(orgID).ListRoles(ctx)
	if err != nil {
		return err
	}
	for _, r := range roles {
		if r.ID != exceptID && strings.EqualFold(r.Name, name) {
			return fmt.Errorf("name: a role named %q already exists: %w", r.Name, store.ErrConflict)
		}
	}
	return nil
}

// CreateRole validates and stores a new role.
func (s *Service) CreateRole(ctx context.Context, orgID string, in RoleInput) (store.Role, error) {
	r, err := s.normaliseRole(ctx, orgID, in, "")
	if err != nil {
		return store.Role{}, err
	}
	if err := s.checkRoleName(ctx, orgID, r.Name, ""); err != nil {
		return store.Role{}, err
	}
	return s.store.Tenant(orgID).CreateRole(ctx, r)
}

// GetRole returns one role.
func (s *Service) GetRole(ctx context.Context, orgID, id string) (store.Role, error) {
	r, err := s.store.Tenant(orgID).GetRole(ctx, id)
	return r, notFound("role", err)
}

// ListRoles returns the organisation's roles in creation order.
func (s *Service) ListRoles(ctx context.Context, orgID string) ([]store.Role, error) {
	return s.store.Tenant(orgID).ListRoles(ctx)
}

// ReplaceRole replaces a role's settings; its grants stay.
func (s *Service) ReplaceRole(ctx context.Context, orgID, id string, in RoleInput) (store.Role, error) {
	if _, err := s.GetRole(ctx, orgID, id); err != nil {
		return store.Role{}, err
	}
	r, err := s.normaliseRole(ctx, orgID, in, "")
	if err != nil {
		return store.Role{}, err
	}
	if err := s.checkRoleName(ctx, orgID, r.Name, id); err != nil {
		return store.Role{}, err
	}
	out, err := s.store.Tenant(orgID).UpdateRole(ctx, id, func(old store.Role) (store.Role, error) {
		r.ID, r.OrgID, r.CreatedAt = old.ID, old.OrgID, old.CreatedAt
		return r, nil
	})
	return out, notFound("role", err)
}

// DeleteRole deletes a role and its grants.
func (s *Service) DeleteRole(ctx context.Context, orgID, id string) error {
	return notFound("role", s.store.Tenant(orgID).DeleteRole(ctx, id))
}

// CopyRole creates a new role named name with the settings of role id and no
// grants.
func (s *Service) CopyRole(ctx context.Context, orgID, id, name string) (store.Role, error) {
	src, err := s.GetRole(ctx, orgID, id)
	if err != nil {
		return store.Role{}, err
	}
	if strings.TrimSpace(name) == "" {
		return store.Role{}, store.Invalid("name", "must not be empty: the copy needs a name of its own")
	}
	return s.CreateRole(ctx, orgID, inputOf(src, name))
}

// inputOf turns a stored role back into input, optionally renamed.
func inputOf(r store.Role, name string) RoleInput {
	if name == "" {
		name = r.Name
	}
	return RoleInput{Name: name, Description: r.Description, ServiceArea: r.ServiceAreaID, Usage: r.Usage,
		Purposes: slices.Clone(r.Purposes), Elements: slices.Clone(r.Elements), GradedAddresses: r.GradedAddresses}
}
