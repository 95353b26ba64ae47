package scim

import (
	"net/http"
	"strings"

	scimerrors "github.com/elimity-com/scim/errors"
	elimityfilter "github.com/elimity-com/scim/filter"
	"github.com/elimity-com/scim/schema"
	"github.com/scim2/filter-parser/v2"
)

// attrRef names an attribute selected by attributes= or excludedAttributes=,
// lower-cased: container is "" or an extension URN; an empty name selects a
// whole extension, an empty sub a whole attribute. match is the value
// filter of a multi-valued attribute (emails[type eq "work"]), nil for
// every element.
type attrRef struct {
	container, name, sub string
	match                func(map[string]any) bool
}

// projection is the attribute selection of a GET (RFC 7644 §3.4.2.5). elimity
// leaves it to resource handlers.
type projection struct {
	include, exclude []attrRef
	exts             []string
}

func parseProjection(rs resourceSchema, r *http.Request) (projection, error) {
	p := projection{}
	for _, e := range rs.exts {
		p.exts = append(p.exts, e.ID)
	}
	q := r.URL.Query()
	var err error
	if p.include, err = p.refs(rs, q.Get("attributes")); err != nil {
		return p, err
	}
	p.exclude, err = p.refs(rs, q.Get("excludedAttributes"))
	return p, err
}

// wantsAttributes reports whether the request names attributes to return,
// which makes a PATCH answer with the resource instead of 204.
func wantsAttributes(r *http.Request) bool {
	q := r.URL.Query()
	return q.Has("attributes") || q.Has("excludedAttributes")
}

func (p projection) refs(rs resourceSchema, list string) ([]attrRef, error) {
	var out []attrRef
	for _, item := range splitAttributeList(list) {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if strings.Contains(item, "[") {
			ref, err := filteredRef(rs, item)
			if err != nil {
				return nil, err
			}
			out = append(out, ref)
			continue
		}
		item = strings.ToLower(item)
		ref := attrRef{}
		for _, ext := range p.exts {
			ext = strings.ToLower(ext)
			if item == ext {
				item = ""
				ref.container = ext
				break
			}
			if rest, ok := strings.CutPrefix(item, ext+":"); ok {
				item = rest
				ref.container = ext
				break
			}
		}
		item = strings.TrimPrefix(item, strings.ToLower(userSchemaURI)+":")
		item = strings.TrimPrefix(item, strings.ToLower(groupSchemaURI)+":")
		ref.name, ref.sub, _ = strings.Cut(item, ".")
		out = append(out, ref)
	}
	return out, nil
}

// splitAttributeList splits a comma-separated attribute list; commas inside
// a value filter's brackets or strings do not split.
func splitAttributeList(list string) []string {
	var items []string
	depth, start := 0, 0
	for i := 0; i < len(list); i++ {
		switch list[i] {
		case '"':
			i = stringEnd(list, i) - 1
		case '[':
			depth++
		case ']':
			depth--
		case ',':
			if depth == 0 {
				items = append(items, list[start:i])
				start = i + 1
			}
		}
	}
	return append(items, list[start:])
}

// filteredRef parses an attribute with a value filter, as Microsoft's
// reference service accepts in attributes= (emails[type eq "work"],
// emails[type eq "work"].value). The filter has the limits and leniencies
// of list filters.
func filteredRef(rs resourceSchema, item string) (attrRef, error) {
	invalid := badRequest(scimerrors.ScimTypeInvalidFilter, "invalid value filter in the attribute list")
	prepared, err := prepareFilter(item)
	if err != nil {
		return attrRef{}, err
	}
	path, err := filter.ParsePath([]byte(prepared))
	if err != nil || path.ValueExpression == nil || path.AttributePath.SubAttribute != nil {
		return attrRef{}, invalid
	}
	container, attr, ok := rs.lookup(path.AttributePath.URI(), path.AttributePath.AttributeName)
	if !ok || !attr.MultiValued() {
		return attrRef{}, invalid
	}
	ref := attrRef{container: strings.ToLower(container), name: strings.ToLower(attr.Name())}
	if sub := path.SubAttributeName(); sub != "" {
		subAttr, ok := elementAttributes(attr).ContainsAttribute(sub)
		if !ok {
			return attrRef{}, invalid
		}
		ref.sub = strings.ToLower(subAttr.Name())
	}
	if _, err := convertFilter(path.ValueExpression, elementResolver(attr)); err != nil {
		return attrRef{}, invalid // names no sub-attribute
	}
	v := elimityfilter.NewFilterValidator(path.ValueExpression, schema.Schema{Attributes: elementAttributes(attr)})
	ref.match = func(m map[string]any) bool { return passes(v, m) }
	return ref, nil
}

// keep reports whether the attribute (sub == "": as a whole or in part) is
// returned. A filtered exclusion removes elements, not the attribute
// (see elements).
func (p projection) keep(container, name, sub string) bool {
	container, name, sub = strings.ToLower(container), strings.ToLower(name), strings.ToLower(sub)
	if len(p.include) > 0 {
		found := false
		for _, r := range p.include {
			if r.container == container && (r.name == "" || r.name == name && (r.sub == "" || sub == "" || r.sub == sub)) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	for _, r := range p.exclude {
		if r.match == nil && r.container == container && (r.name == "" || r.name == name && (r.sub == "" || r.sub == sub)) {
			return false
		}
	}
	return true
}

// elements applies the value filters of the projection to the elements of
// a multi-valued attribute: with attributes= only the elements some filter
// matches are kept (all of them if the attribute is also named without a
// filter); with excludedAttributes= the matching elements, or their named
// sub-attribute, go.
func (p projection) elements(container, name string, list []any) []any {
	container, name = strings.ToLower(container), strings.ToLower(name)
	var includes []attrRef
	for _, r := range p.include {
		if r.container == container && r.name == name {
			if r.match == nil {
				includes = nil
				break
			}
			includes = append(includes, r)
		}
	}
	out := list[:0:0]
	for _, e := range list {
		m, isObject := e.(map[string]any)
		if len(includes) > 0 && (!isObject || !anyMatch(includes, m)) {
			continue
		}
		drop := false
		for _, r := range p.exclude {
			if r.match == nil || r.container != container || r.name != name || !isObject || !r.match(m) {
				continue
			}
			if r.sub == "" {
				drop = true
				break
			}
			for k := range m {
				if strings.EqualFold(k, r.sub) {
					delete(m, k)
				}
			}
		}
		if !drop {
			out = append(out, e)
		}
	}
	return out
}

func anyMatch(refs []attrRef, m map[string]any) bool {
	for _, r := range refs {
		if r.match(m) {
			return true
		}
	}
	return false
}

// apply removes from doc (canonical names) what the projection leaves out.
func (p projection) apply(doc map[string]any) {
	for k, v := range doc {
		if p.isExt(k) {
			ext, _ := v.(map[string]any)
			for a, av := range ext {
				if !p.keep(k, a, "") {
					delete(ext, a)
					continue
				}
				ext[a] = p.applySubs(k, a, av)
				dropEmpty(ext, a)
			}
			if len(ext) == 0 {
				delete(doc, k)
			}
			continue
		}
		if !p.keep("", k, "") {
			delete(doc, k)
			continue
		}
		doc[k] = p.applySubs("", k, v)
		dropEmpty(doc, k)
	}
}

// applySubs returns v with the elements and sub-attributes the projection
// leaves out removed.
func (p projection) applySubs(container, name string, v any) any {
	filterMap := func(m map[string]any) {
		for s := range m {
			if !p.keep(container, name, s) {
				delete(m, s)
			}
		}
	}
	switch v := v.(type) {
	case map[string]any:
		filterMap(v)
	case []any:
		v = p.elements(container, name, v)
		for _, e := range v {
			if m, ok := e.(map[string]any); ok {
				filterMap(m)
			}
		}
		return v
	}
	return v
}

func (p projection) isExt(k string) bool {
	for _, e := range p.exts {
		if strings.EqualFold(e, k) {
			return true
		}
	}
	return false
}
