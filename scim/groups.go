package scim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	elimity "github.com/elimity-com/scim"
	"github.com/scim2/filter-parser/v2"

	"folkevakt/store"
)

// groupHandler serves /Groups. Members live in the store's membership table,
// never in Group.Attributes, so that a membership change costs what it
// changes and a group read with excludedAttributes=members reads no members.
type groupHandler struct{ h *Handler }

const membersAttr = "members"

// withGroupDoc returns g carrying doc (members taken out), with the typed
// fields in sync.
func withGroupDoc(g store.Group, doc map[string]any) (store.Group, error) {
	g.DisplayName = stringAttr(doc, "displayName")
	if g.DisplayName == "" {
		return g, invalidValue("displayName is required")
	}
	g.ExternalID = stringAttr(doc, "externalId")
	raw, err := json.Marshal(doc)
	if err != nil {
		return g, fmt.Errorf("scim: encode group: %w", err)
	}
	g.Attributes = raw
	return g, nil
}

// takeMembers removes the members attribute from a validated document and
// returns the member ids.
func takeMembers(doc map[string]any) ([]string, error) {
	ids, err := memberIDs(doc[membersAttr])
	delete(doc, membersAttr)
	return ids, err
}

// memberIDs reads the ids of a members value ([{"value": id}, ...]).
func memberIDs(v any) ([]string, error) {
	var ids []string
	for _, e := range asList(v) {
		m, _ := e.(map[string]any)
		id, _ := m["value"].(string)
		if id == "" {
			return nil, invalidValue("every member needs a value")
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func (gh groupHandler) view(r *http.Request, g store.Group, p projection) (elimity.Resource, error) {
	doc, err := decodeDoc(g.Attributes)
	if err != nil {
		return elimity.Resource{}, gh.h.fault(r, err)
	}
	if p.keep("", membersAttr, "") {
		ids, err := tenant(r.Context()).ListMembers(r.Context(), g.ID)
		if err != nil {
			return elimity.Resource{}, gh.h.storeError(r, err, g.ID)
		}
		if len(ids) > 0 {
			members := make([]any, len(ids))
			for i, id := range ids {
				members[i] = map[string]any{"value": id}
			}
			doc[membersAttr] = members
		}
	}
	p.apply(doc)
	return resource(g.ID, doc, g.CreatedAt, g.UpdatedAt), nil
}

func (gh groupHandler) respond(r *http.Request, g store.Group, err error, id string) (elimity.Resource, error) {
	if err != nil {
		// The store names an unknown member as a ValidationError on
		// "members", so ErrNotFound here always means the group.
		return elimity.Resource{}, gh.h.storeError(r, err, id)
	}
	return gh.view(r, g, state(r.Context()).projection)
}

func (gh groupHandler) Create(r *http.Request, attrs elimity.ResourceAttributes) (elimity.Resource, error) {
	doc := document(attrs)
	members, err := takeMembers(doc)
	if err != nil {
		return elimity.Resource{}, err
	}
	g, err := withGroupDoc(store.Group{}, doc)
	if err == nil {
		g, err = tenant(r.Context()).CreateGroup(r.Context(), g, members)
	}
	if err == nil {
		created(r, "Groups", g.ID)
	}
	return gh.respond(r, g, err, "")
}

func (gh groupHandler) Get(r *http.Request, id string) (elimity.Resource, error) {
	g, err := tenant(r.Context()).GetGroup(r.Context(), id)
	return gh.respond(r, g, err, id)
}

func (gh groupHandler) GetAll(r *http.Request, params elimity.ListRequestParams) (elimity.Page, error) {
	page, err := tenant(r.Context()).ListGroups(r.Context(), listQuery(r, params))
	if err != nil {
		return elimity.Page{}, gh.h.listError(r, err)
	}
	p := state(r.Context()).projection
	out := make([]elimity.Resource, 0, len(page.Items))
	for _, g := range page.Items {
		res, err := gh.view(r, g, p)
		if err != nil {
			return elimity.Page{}, err
		}
		out = append(out, res)
	}
	return elimity.Page{TotalResults: page.Total, Resources: out}, nil
}

// Replace is a SCIM PUT: the document and the member list are replaced in
// one store transaction, so a bad member leaves the group as it was.
func (gh groupHandler) Replace(r *http.Request, id string, attrs elimity.ResourceAttributes) (elimity.Resource, error) {
	doc := document(attrs)
	members, err := takeMembers(doc)
	if err != nil {
		return elimity.Resource{}, err
	}
	g, _, _, err := tenant(r.Context()).PatchGroup(r.Context(), id, store.GroupPatch{
		Update:  func(old store.Group) (store.Group, error) { return withGroupDoc(old, doc) },
		Replace: true,
		Add:     members,
	})
	return gh.respond(r, g, err, id)
}

func (gh groupHandler) Delete(r *http.Request, id string) error {
	if err := tenant(r.Context()).DeleteGroup(r.Context(), id); err != nil {
		return gh.h.storeError(r, err, id)
	}
	return nil
}

// Patch splits the operations into membership changes and changes to the
// group's own attributes, and hands both to the store as one patch: Entra
// sends a rename together with member changes, and a bad member must leave
// the rename unstored too. It answers 204 as Microsoft's provisioning
// documentation asks for group PATCHes, unless attributes are asked for.
func (gh groupHandler) Patch(r *http.Request, id string, ops []elimity.PatchOperation) (elimity.Resource, error) {
	var delta memberDelta
	var docOps []elimity.PatchOperation
	for _, op := range ops {
		rest, err := delta.take(op)
		if err != nil {
			return elimity.Resource{}, err
		}
		if rest != nil {
			docOps = append(docOps, *rest)
		}
	}
	p := delta.patch()
	if len(docOps) > 0 {
		p.Update = func(old store.Group) (store.Group, error) {
			doc, err := decodeDoc(old.Attributes)
			if err != nil {
				return old, err
			}
			for _, op := range docOps {
				if err := applyOp(gh.h.groups, doc, op); err != nil {
					return old, err
				}
			}
			if err := checkShapes(gh.h.groups, doc); err != nil {
				return old, err
			}
			return withGroupDoc(old, doc)
		}
	}
	// Called even for a patch that changes nothing, so that an unknown group
	// is still a 404.
	g, _, _, err := tenant(r.Context()).PatchGroup(r.Context(), id, p)
	if err == nil && !wantsAttributes(r) {
		return elimity.Resource{}, nil // elimity answers 204
	}
	return gh.respond(r, g, err, id)
}

// memberDelta accumulates the membership operations of one PATCH. Adds are
// idempotent and removes ignore absent members, so each mentioned user's
// fate is decided by the last operation naming it; a replace or a remove of
// all members resets what came before.
type memberDelta struct {
	touched bool
	replace bool
	order   []string
	member  map[string]bool
}

func (d *memberDelta) set(id string, member bool) {
	if d.member == nil {
		d.member = map[string]bool{}
	}
	if _, seen := d.member[id]; !seen {
		d.order = append(d.order, id)
	}
	d.member[id] = member
	d.touched = true
}

func (d *memberDelta) reset() {
	*d = memberDelta{touched: true, replace: true}
}

// take records op if it concerns members and returns what remains of it
// for the group document (nil if nothing).
func (d *memberDelta) take(op elimity.PatchOperation) (*elimity.PatchOperation, error) {
	if op.Path == nil {
		values, _ := op.Value.(map[string]any)
		rest := map[string]any{}
		for k, v := range values {
			if strings.EqualFold(k, membersAttr) {
				if err := d.members(op.Op, v); err != nil {
					return nil, err
				}
				continue
			}
			rest[k] = v
		}
		if len(rest) == 0 {
			return nil, nil
		}
		return &elimity.PatchOperation{Op: op.Op, Value: rest}, nil
	}
	if !strings.EqualFold(op.Path.AttributePath.AttributeName, membersAttr) {
		return &op, nil
	}
	if op.Path.AttributePath.SubAttribute != nil || op.Path.SubAttribute != nil {
		return nil, invalidPath("member sub-attributes cannot be changed")
	}
	if op.Path.ValueExpression == nil {
		return nil, d.members(op.Op, op.Value)
	}
	// members[value eq "id"] (Entra's form with aadOptscim062020), possibly
	// joined by "or".
	if op.Op != elimity.PatchOperationRemove {
		return nil, invalidPath("only remove may filter members")
	}
	ids, ok := filterMemberIDs(op.Path.ValueExpression)
	if !ok {
		return nil, invalidPath(`members may be filtered by value eq "<id>" only`)
	}
	for _, id := range ids {
		d.set(id, false)
	}
	return nil, nil
}

// members records an operation on the whole members attribute.
func (d *memberDelta) members(op string, value any) error {
	ids, err := memberIDs(value)
	if err != nil {
		return err
	}
	switch {
	case op == elimity.PatchOperationReplace, op == elimity.PatchOperationRemove && value == nil:
		d.reset()
		for _, id := range ids {
			d.set(id, true)
		}
	default:
		for _, id := range ids {
			d.set(id, op == elimity.PatchOperationAdd)
		}
	}
	return nil
}

func filterMemberIDs(e filter.Expression) ([]string, bool) {
	switch e := e.(type) {
	case *filter.AttributeExpression:
		id, ok := e.CompareValue.(string)
		if !ok || e.Operator != filter.EQ || !strings.EqualFold(e.AttributePath.AttributeName, "value") || e.AttributePath.SubAttribute != nil {
			return nil, false
		}
		return []string{id}, true
	case *filter.LogicalExpression:
		if e.Operator != filter.OR {
			return nil, false
		}
		left, ok := filterMemberIDs(e.Left)
		if !ok {
			return nil, false
		}
		right, ok := filterMemberIDs(e.Right)
		return append(left, right...), ok
	}
	return nil, false
}

// patch turns the delta into the store's membership change. After a reset
// the adds are the complete list, and a later remove only means "not in it".
func (d *memberDelta) patch() store.GroupPatch {
	var p store.GroupPatch
	if !d.touched {
		return p
	}
	p.Replace = d.replace
	for _, id := range d.order {
		switch {
		case d.member[id]:
			p.Add = append(p.Add, id)
		case !d.replace:
			p.Remove = append(p.Remove, id)
		}
	}
	return p
}
