package scim

import (
	"encoding/json"
	"fmt"
	"net/http"

	elimity "github.com/elimity-com/scim"

	"folkevakt/store"
)

// userHandler serves /Users. A user's SCIM document is stored whole in
// User.Attributes; userName, externalId, displayName and active are copied to
// the typed fields the store indexes and the policy engine reads.
type userHandler struct{ h *Handler }

// newUserDoc is the document of a created or replaced user. A user without
// "active" is active: Entra always sends it, other clients expect that.
func newUserDoc(attrs elimity.ResourceAttributes) map[string]any {
	doc := document(attrs)
	if _, ok := doc["active"]; !ok {
		doc["active"] = true
	}
	return doc
}

// passwordAttr is accepted (Entra may be mapped to send one) but never
// stored or returned: employees sign in through their Entra tenant, never
// with a password folkevakt keeps (RFC 7643 §4.1.1 lets a provider discard
// it; "returned" is "never").
const passwordAttr = "password"

// withUserDoc returns u carrying doc (less the password), with the typed
// fields in sync.
func withUserDoc(u store.User, doc map[string]any) (store.User, error) {
	delete(doc, passwordAttr)
	u.UserName = stringAttr(doc, "userName")
	if u.UserName == "" {
		return u, invalidValue("userName is required")
	}
	u.ExternalID = stringAttr(doc, "externalId")
	u.DisplayName = stringAttr(doc, "displayName")
	u.Active, _ = doc["active"].(bool)
	raw, err := json.Marshal(doc)
	if err != nil {
		return u, fmt.Errorf("scim: encode user: %w", err)
	}
	u.Attributes = raw
	return u, nil
}

func (uh userHandler) view(u store.User, p projection) (elimity.Resource, error) {
	doc, err := decodeDoc(u.Attributes)
	if err != nil {
		return elimity.Resource{}, err
	}
	delete(doc, passwordAttr) // stored by versions before passwords were discarded
	p.apply(doc)
	return resource(u.ID, doc, u.CreatedAt, u.UpdatedAt), nil
}

// respond renders u, or maps err.
func (uh userHandler) respond(r *http.Request, u store.User, err error, id string) (elimity.Resource, error) {
	if err != nil {
		return elimity.Resource{}, uh.h.storeError(r, err, id)
	}
	res, err := uh.view(u, state(r.Context()).projection)
	if err != nil {
		return elimity.Resource{}, uh.h.fault(r, err)
	}
	return res, nil
}

func (uh userHandler) Create(r *http.Request, attrs elimity.ResourceAttributes) (elimity.Resource, error) {
	u, err := withUserDoc(store.User{}, newUserDoc(attrs))
	if err == nil {
		u, err = tenant(r.Context()).CreateUser(r.Context(), u)
	}
	if err == nil {
		created(r, "Users", u.ID)
	}
	return uh.respond(r, u, err, "")
}

func (uh userHandler) Get(r *http.Request, id string) (elimity.Resource, error) {
	u, err := tenant(r.Context()).GetUser(r.Context(), id)
	return uh.respond(r, u, err, id)
}

func (uh userHandler) GetAll(r *http.Request, params elimity.ListRequestParams) (elimity.Page, error) {
	page, err := tenant(r.Context()).ListUsers(r.Context(), listQuery(r, params))
	if err != nil {
		return elimity.Page{}, uh.h.listError(r, err)
	}
	p := state(r.Context()).projection
	// A non-nil slice: an empty result must be "Resources": [], not null.
	out := make([]elimity.Resource, 0, len(page.Items))
	for _, u := range page.Items {
		res, err := uh.view(u, p)
		if err != nil {
			return elimity.Page{}, uh.h.fault(r, err)
		}
		out = append(out, res)
	}
	return elimity.Page{TotalResults: page.Total, Resources: out}, nil
}

func (uh userHandler) Replace(r *http.Request, id string, attrs elimity.ResourceAttributes) (elimity.Resource, error) {
	doc := newUserDoc(attrs)
	u, err := tenant(r.Context()).UpdateUser(r.Context(), id, func(old store.User) (store.User, error) {
		return withUserDoc(old, doc)
	})
	return uh.respond(r, u, err, id)
}

func (uh userHandler) Delete(r *http.Request, id string) error {
	if err := tenant(r.Context()).DeleteUser(r.Context(), id); err != nil {
		return uh.h.storeError(r, err, id)
	}
	return nil
}

// Patch applies the operations to the stored document inside the store's
// update transaction; a failing operation stores nothing. It answers 204
// unless the request asks for attributes (RFC 7644 §3.5.2), as Microsoft's
// reference service does for every resource.
func (uh userHandler) Patch(r *http.Request, id string, ops []elimity.PatchOperation) (elimity.Resource, error) {
	u, err := tenant(r.Context()).UpdateUser(r.Context(), id, func(old store.User) (store.User, error) {
		doc, err := decodeDoc(old.Attributes)
		if err != nil {
			return old, err
		}
		for _, op := range ops {
			if err := applyOp(uh.h.users, doc, op); err != nil {
				return old, err
			}
		}
		if err := checkShapes(uh.h.users, doc); err != nil {
			return old, err
		}
		return withUserDoc(old, doc)
	})
	if err == nil && !wantsAttributes(r) {
		return elimity.Resource{}, nil // elimity answers 204
	}
	return uh.respond(r, u, err, id)
}
