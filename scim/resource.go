package scim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	elimity "github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"

	"folkevakt/store"
)

// document turns attributes validated by elimity into the stored document:
// canonical names, values as sent, without the nulls and empty lists elimity
// produces for absent values ("roles": [] becomes a nil list).
func document(attrs elimity.ResourceAttributes) map[string]any {
	doc := map[string]any(attrs)
	for k, v := range doc {
		if m, ok := v.(map[string]any); ok {
			for sk := range m {
				dropEmpty(m, sk)
			}
		}
		dropEmpty(doc, k)
	}
	return doc
}

// decodeDoc reads a stored document.
func decodeDoc(raw json.RawMessage) (map[string]any, error) {
	doc := map[string]any{}
	if len(raw) == 0 {
		return doc, nil
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("scim: stored document: %w", err)
	}
	return doc, nil
}

// stringAttr returns doc[name] when it is a string.
func stringAttr(doc map[string]any, name string) string {
	s, _ := doc[name].(string)
	return s
}

// resource builds elimity's view of a stored document.
func resource(id string, doc map[string]any, created, updated time.Time) elimity.Resource {
	return elimity.Resource{
		ID:         id,
		Attributes: doc,
		Meta:       elimity.Meta{Created: &created, LastModified: &updated},
	}
}

// created records the resource a POST created, for the Location header.
func created(r *http.Request, endpoint, id string) {
	state(r.Context()).createdID = endpoint + "/" + url.PathEscape(id)
}

// listQuery converts elimity's list parameters, with the filter that
// ServeHTTP parsed. SCIM's count=0 asks for the total only, which the store
// spells as a negative count.
func listQuery(r *http.Request, params elimity.ListRequestParams) store.ListQuery {
	q := store.ListQuery{StartIndex: params.StartIndex, Count: params.Count, Filter: state(r.Context()).filter}
	if params.Count == 0 {
		q.Count = -1
	}
	return q
}

// listError maps a listing error: a filter the store cannot evaluate is the
// client's invalidFilter, not a fault.
func (h *Handler) listError(r *http.Request, err error) error {
	if errors.Is(err, store.ErrInvalid) {
		return scimerrors.ScimErrorInvalidFilter
	}
	return h.storeError(r, err, "")
}
