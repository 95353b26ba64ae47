package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/schema"
	"github.com/scim2/filter-parser/v2"
)

// normalize prepares a request body for elimity: it rewrites the forms Entra
// sends that elimity cannot validate, and rejects what elimity would drop
// without a word (unknown attributes and schemas), so that such a request
// stores nothing instead of half of what was sent.
func (h *Handler) normalize(r *http.Request, body []byte) ([]byte, error) {
	rs, ok := h.resourceFor(r.URL.Path)
	if !ok {
		return body, nil
	}
	switch r.Method {
	case http.MethodPost, http.MethodPut:
		return normalizeResource(rs, body)
	case http.MethodPatch:
		return normalizePatch(rs, body)
	}
	return body, nil
}

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

// normalizeResource checks a POST/PUT body.
func normalizeResource(rs resourceSchema, body []byte) ([]byte, error) {
	doc, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	for k, v := range doc {
		switch {
		case strings.EqualFold(k, "schemas"):
			if err := checkSchemas(rs, v); err != nil {
				return nil, err
			}
		case strings.EqualFold(k, "id"), strings.EqualFold(k, "meta"):
			// Read-only common attributes; elimity ignores them.
		default:
			if ext, ok := rs.ext(k); ok {
				obj, ok := v.(map[string]any)
				if !ok {
					return nil, invalidValue("extension " + ext.ID + " must be an object")
				}
				normalizeManager(obj)
				if err := checkKnown(ext.Attributes, obj); err != nil {
					return nil, err
				}
				continue
			}
			attr, ok := rs.core.Attributes.ContainsAttribute(k)
			if !ok {
				return nil, invalidValue("unknown attribute " + k)
			}
			if err := checkValue(attr, v); err != nil {
				return nil, err
			}
		}
	}
	return encode(doc)
}

func checkSchemas(rs resourceSchema, v any) error {
	list, ok := v.([]any)
	if !ok {
		return invalidValue("schemas must be an array of URIs")
	}
	for _, s := range list {
		uri, ok := s.(string)
		if !ok || !rs.accepts(uri) {
			return invalidValue("unsupported schema in schemas")
		}
	}
	return nil
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

// checkKnown rejects keys of obj that name no attribute in attrs.
func checkKnown(attrs schema.Attributes, obj map[string]any) error {
	for k, v := range obj {
		attr, ok := attrs.ContainsAttribute(k)
		if !ok {
			return invalidValue("unknown attribute " + k)
		}
		if err := checkValue(attr, v); err != nil {
			return err
		}
	}
	return nil
}

// checkValue rejects unknown sub-attributes inside a complex value; type
// checks are elimity's.
func checkValue(attr schema.CoreAttribute, v any) error {
	if !attr.HasSubAttributes() {
		return nil
	}
	switch v := v.(type) {
	case map[string]any:
		return checkKnown(attr.SubAttributes(), v)
	case []any:
		for _, e := range v {
			if m, ok := e.(map[string]any); ok {
				if err := checkKnown(attr.SubAttributes(), m); err != nil {
					return err
				}
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

// normalizePatch checks a PatchOp body and rewrites Entra's manager forms.
func normalizePatch(rs resourceSchema, body []byte) ([]byte, error) {
	req, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	opsKey, rawOps := field(req, "Operations")
	ops, ok := rawOps.([]any)
	if !ok {
		return nil, invalidValue("Operations must be an array")
	}
	if len(ops) > MaxPatchOperations {
		return nil, invalidValue(fmt.Sprintf("A PATCH may hold at most %d operations.", MaxPatchOperations))
	}
	var out []any
	for _, raw := range ops {
		op, ok := raw.(map[string]any)
		if !ok {
			return nil, scimerrors.ScimErrorInvalidSyntax
		}
		extra, err := normalizeOp(rs, op)
		if err != nil {
			return nil, err
		}
		out = append(out, op)
		out = append(out, extra...)
	}
	req[opsKey] = out
	return encode(req)
}

// normalizeOp rewrites one operation in place; it returns operations split
// off from a path-less value (clearing the manager).
func normalizeOp(rs resourceSchema, op map[string]any) ([]any, error) {
	opKey, opVal := field(op, "op")
	pathKey, pathVal := field(op, "path")
	valueKey, value := field(op, "value")
	name, _ := opVal.(string)
	path, _ := pathVal.(string)
	if path != "" {
		prepared, err := preparePath(path)
		if err != nil {
			return nil, err
		}
		path = prepared
		op[pathKey] = path
	}
	if strings.EqualFold(name, "remove") && path == "" {
		// RFC 7644 §3.5.2.2; elimity would report this as invalidValue.
		return nil, badRequest(scimerrors.ScimTypeNoTarget, "remove requires a path")
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
			return nil, nil
		}
		return nil, checkPathValue(rs, path, value)
	}
	obj, ok := value.(map[string]any)
	if !ok {
		return nil, nil // elimity rejects it
	}
	var extra []any
	for k, v := range obj {
		if _, err := preparePath(k); err != nil {
			return nil, err
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
		if err := checkPathValue(rs, k, v); err != nil {
			return nil, err
		}
	}
	return extra, nil
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

// checkPathValue rejects unknown sub-attributes in the value of a plain
// attribute path; paths themselves are validated by elimity.
func checkPathValue(rs resourceSchema, path string, value any) error {
	p, err := filter.ParsePath([]byte(path))
	if err != nil || p.AttributePath.SubAttribute != nil || p.SubAttribute != nil {
		return nil
	}
	_, attr, ok := rs.lookup(p.AttributePath.URI(), p.AttributePath.AttributeName)
	if !ok {
		return nil
	}
	return checkValue(attr, value)
}
