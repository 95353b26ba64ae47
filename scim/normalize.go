package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/schema"
	"github.com/scim2/filter-parser/v2"
)

// normalize prepares a request body for elimity: it rewrites the forms Entra
// sends that elimity cannot validate, drops what no schema defines (so that
// an unknown attribute neither fails nor is stored) and refuses values of
// the wrong shape, which elimity would store.
func (h *Handler) normalize(r *http.Request, body []byte) ([]byte, error) {
	rs, ok := h.resourceFor(r.URL.Path)
	if !ok {
		return body, nil
	}
	var (
		out     []byte
		ignored []string
		err     error
	)
	switch r.Method {
	case http.MethodPost, http.MethodPut:
		out, ignored, err = normalizeResource(rs, body)
	case http.MethodPatch:
		out, ignored, err = normalizePatch(rs, body)
	default:
		return body, nil
	}
	if len(ignored) > 0 {
		h.logIgnored(r, ignored)
	}
	return out, err
}

// logIgnored records the names of ignored attributes, so that an operator
// can fix a mapping in Entra. Names only, never values, and only names
// shaped like attribute names: a client could put anything in a key.
func (h *Handler) logIgnored(r *http.Request, names []string) {
	const maxNames = 10
	var shown []string
	for _, n := range names {
		if len(shown) < maxNames && len(n) <= 100 && loggableName.MatchString(n) {
			shown = append(shown, n)
		}
	}
	h.logger.WarnContext(r.Context(), "scim attributes ignored", "route", routeTemplate(r.URL.Path),
		"method", r.Method, "request_id", requestID(r), "count", len(names), "names", shown)
}

// loggableName matches attribute names and URNs (RFC 7643 §2.1): a letter,
// then letters, digits, '$', '-', '_', and ':' or '.' between them.
var loggableName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9$_:.-]*$`)

func (h *Handler) resourceFor(path string) (resourceSchema, bool) {
	p := strings.TrimPrefix(path, "/v2")
	switch {
	case p == "/Users" || strings.HasPrefix(p, "/Users/"):
		return h.users, true
	case p == "/Groups" || strings.HasPrefix(p, "/Groups/"):
		return h.groups, true
	}
	return resourceSchema{}, false
}

func decodeObject(body []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil || m == nil || d.More() {
		return nil, scimerrors.ScimErrorInvalidSyntax
	}
	return m, nil
}

func encode(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		// Values come from decoding JSON, so they always encode again.
		return nil, scimerrors.ScimErrorInvalidSyntax
	}
	return b, nil
}

// normalizeResource checks a POST/PUT body and returns it without unknown
// attributes and schemas, with the names it dropped.
func normalizeResource(rs resourceSchema, body []byte) ([]byte, []string, error) {
	doc, err := decodeObject(body)
	if err != nil {
		return nil, nil, err
	}
	var ignored []string
	for k, v := range doc {
		switch {
		case strings.EqualFold(k, "schemas"):
			list, err := knownSchemas(rs, v)
			if err != nil {
				return nil, nil, err
			}
			doc[k] = list
		case strings.EqualFold(k, "id"), strings.EqualFold(k, "meta"):
			// Read-only common attributes; elimity ignores them.
		default:
			if ext, ok := rs.ext(k); ok {
				obj, ok := v.(map[string]any)
				if !ok {
					if v == nil {
						continue
					}
					return nil, nil, invalidValue("extension " + ext.ID + " must be an object")
				}
				normalizeManager(obj)
				dropped, err := normalizeAttributes(ext.Attributes, obj)
				if err != nil {
					return nil, nil, err
				}
				ignored = append(ignored, dropped...)
				continue
			}
			attr, ok := rs.core.Attributes.ContainsAttribute(k)
			if !ok {
				delete(doc, k)
				ignored = append(ignored, k)
				continue
			}
			dropped, err := normalizeValue(attr, v)
			if err != nil {
				return nil, nil, err
			}
			ignored = append(ignored, dropped...)
		}
	}
	body, err = encode(doc)
	return body, ignored, err
}

// knownSchemas returns the URIs of "schemas" this endpoint speaks; others
// (a custom extension Entra was mapped to) go with their attributes.
func knownSchemas(rs resourceSchema, v any) ([]any, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, invalidValue("schemas must be an array of URIs")
	}
	var known []any
	for _, s := range list {
		uri, ok := s.(string)
		if !ok {
			return nil, invalidValue("schemas must be an array of URIs")
		}
		if rs.accepts(uri) {
			known = append(known, uri)
		}
	}
	return known, nil
}

// normalizeManager turns Entra's bare manager id into {"value": id} and drops
// an empty one (Entra's way of clearing it).
func normalizeManager(ext map[string]any) {
	for k, v := range ext {
		if !strings.EqualFold(k, "manager") {
			continue
		}
		if s, ok := v.(string); ok {
			if s == "" {
				delete(ext, k)
			} else {
				ext[k] = map[string]any{"value": s}
			}
		}
	}
}

// normalizeAttributes drops the keys of obj that name no attribute in attrs
// (returning them) and checks the shape of the others.
func normalizeAttributes(attrs schema.Attributes, obj map[string]any) ([]string, error) {
	var ignored []string
	for k, v := range obj {
		attr, ok := attrs.ContainsAttribute(k)
		if !ok {
			delete(obj, k)
			ignored = append(ignored, k)
			continue
		}
		dropped, err := normalizeValue(attr, v)
		if err != nil {
			return nil, err
		}
		ignored = append(ignored, dropped...)
	}
	return ignored, nil
}

// normalizeValue checks that v has attr's shape (RFC 7643 §2.3: a list for
// a multi-valued attribute, an object for a complex one, a single value
// otherwise) and drops unknown sub-attributes. null is an absent value.
// Value types are elimity's to check.
func normalizeValue(attr schema.CoreAttribute, v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	if attr.MultiValued() {
		list, ok := v.([]any)
		if !ok {
			return nil, invalidValue(attr.Name() + " must be an array")
		}
		var ignored []string
		for _, e := range list {
			dropped, err := normalizeSingle(attr, e)
			if err != nil {
				return nil, err
			}
			ignored = append(ignored, dropped...)
		}
		return ignored, nil
	}
	return normalizeSingle(attr, v)
}

// normalizeSingle checks one value (or element) of attr.
func normalizeSingle(attr schema.CoreAttribute, v any) ([]string, error) {
	if !attr.HasSubAttributes() {
		if !isScalar(v) {
			return nil, invalidValue(attr.Name() + " must be a single value")
		}
		return nil, nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalidValue(attr.Name() + " must be an object")
	}
	var ignored []string
	for k, sv := range obj {
		sub, ok := attr.SubAttributes().ContainsAttribute(k)
		if !ok {
			delete(obj, k)
			ignored = append(ignored, attr.Name()+"."+k)
			continue
		}
		if !isScalar(sv) {
			return nil, invalidValue(attr.Name() + "." + sub.Name() + " must be a single value")
		}
	}
	return ignored, nil
}

// isScalar reports whether v is a JSON string, number, boolean or null.
func isScalar(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return false
	}
	return true
}

// checkShapes checks a whole resource document (canonical names, as
// stored) against the schemas; PATCH results pass through it before they
// are stored.
func checkShapes(rs resourceSchema, doc map[string]any) error {
	for k, v := range doc {
		if ext, ok := rs.ext(k); ok {
			obj, ok := v.(map[string]any)
			if !ok {
				return invalidValue("extension " + ext.ID + " must be an object")
			}
			for ek, ev := range obj {
				if attr, ok := ext.Attributes.ContainsAttribute(ek); ok {
					if _, err := normalizeValue(attr, ev); err != nil {
						return err
					}
				}
			}
			continue
		}
		if attr, ok := rs.core.Attributes.ContainsAttribute(k); ok {
			if _, err := normalizeValue(attr, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// field returns the key and value of m's member named name, compared
// case-insensitively as SCIM requires for structural names.
func field(m map[string]any, name string) (string, any) {
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return k, v
		}
	}
	return name, nil
}

// normalizePatch checks a PatchOp body and rewrites Entra's manager forms;
// unknown sub-attributes in values are dropped and returned.
func normalizePatch(rs resourceSchema, body []byte) ([]byte, []string, error) {
	req, err := decodeObject(body)
	if err != nil {
		return nil, nil, err
	}
	opsKey, rawOps := field(req, "Operations")
	ops, ok := rawOps.([]any)
	if !ok {
		return nil, nil, invalidValue("Operations must be an array")
	}
	if len(ops) > MaxPatchOperations {
		return nil, nil, invalidValue(fmt.Sprintf("A PATCH may hold at most %d operations.", MaxPatchOperations))
	}
	var out []any
	var ignored []string
	for _, raw := range ops {
		op, ok := raw.(map[string]any)
		if !ok {
			return nil, nil, scimerrors.ScimErrorInvalidSyntax
		}
		extra, dropped, err := normalizeOp(rs, op)
		if err != nil {
			return nil, nil, err
		}
		ignored = append(ignored, dropped...)
		out = append(out, op)
		out = append(out, extra...)
	}
	req[opsKey] = out
	body, err = encode(req)
	return body, ignored, err
}

// normalizeOp rewrites one operation in place; it returns operations split
// off from a path-less value (clearing the manager) and the names of
// dropped unknown sub-attributes.
func normalizeOp(rs resourceSchema, op map[string]any) (extra []any, ignored []string, err error) {
	opKey, opVal := field(op, "op")
	pathKey, pathVal := field(op, "path")
	valueKey, value := field(op, "value")
	name, _ := opVal.(string)
	path, _ := pathVal.(string)
	if path != "" {
		if path, err = preparePath(path); err != nil {
			return nil, nil, err
		}
		op[pathKey] = path
	}
	if strings.EqualFold(name, "remove") && path == "" {
		// RFC 7644 §3.5.2.2; elimity would report this as invalidValue.
		return nil, nil, badRequest(scimerrors.ScimTypeNoTarget, "remove requires a path")
	}
	if path != "" {
		if strings.EqualFold(path, managerPath) {
			if s, ok := value.(string); ok {
				if s == "" {
					op[opKey] = "remove"
					delete(op, valueKey)
				} else {
					op[valueKey] = map[string]any{"value": s}
				}
			}
			return nil, nil, nil
		}
		return nil, dropUnknownInValue(rs, path, value), nil
	}
	obj, ok := value.(map[string]any)
	if !ok {
		return nil, nil, nil // elimity rejects it
	}
	for k, v := range obj {
		if _, err := preparePath(k); err != nil {
			return nil, nil, err
		}
		if strings.EqualFold(k, managerPath) {
			if s, ok := v.(string); ok {
				if s == "" {
					delete(obj, k)
					extra = append(extra, map[string]any{"op": "remove", "path": managerPath})
				} else {
					obj[k] = map[string]any{"value": s}
				}
			}
			continue
		}
		ignored = append(ignored, dropUnknownInValue(rs, k, v)...)
	}
	return extra, ignored, nil
}

// preparePath applies the filter limits and leniencies to a PATCH path;
// a path over the limits is an invalidPath.
func preparePath(path string) (string, error) {
	prepared, err := prepareFilter(path)
	var se scimerrors.ScimError
	if errors.As(err, &se) {
		return "", invalidPath(se.Detail)
	}
	return prepared, err
}

// dropUnknownInValue drops unknown sub-attributes from the value (an object
// or a list of them) of a path naming a whole complex attribute, and
// returns their names. Paths are validated by elimity, shapes after the
// operations are applied (checkShapes).
func dropUnknownInValue(rs resourceSchema, path string, value any) []string {
	p, err := filter.ParsePath([]byte(path))
	if err != nil || p.AttributePath.SubAttribute != nil || p.SubAttribute != nil {
		return nil
	}
	_, attr, ok := rs.lookup(p.AttributePath.URI(), p.AttributePath.AttributeName)
	if !ok || !attr.HasSubAttributes() {
		return nil
	}
	var ignored []string
	for _, e := range asList(value) {
		obj, ok := e.(map[string]any)
		if !ok {
			continue
		}
		for k := range obj {
			if _, ok := attr.SubAttributes().ContainsAttribute(k); !ok {
				delete(obj, k)
				ignored = append(ignored, attr.Name()+"."+k)
			}
		}
	}
	return ignored
}
