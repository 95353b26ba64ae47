package scim

import (
	"net/http"
	"strings"
)

// attrRef names an attribute selected by attributes= or excludedAttributes=,
// lower-cased: container is "" or an extension URN; an empty name selects a
// whole extension, an empty sub a whole attribute.
type attrRef struct{ container, name, sub string }

// projection is the attribute selection of a GET (RFC 7644 §3.4.2.5). elimity
// leaves it to resource handlers.
type projection struct {
	include, exclude []attrRef
	exts             []string
}

func parseProjection(rs resourceSchema, r *http.Request) projection {
	p := projection{}
	for _, e := range rs.exts {
		p.exts = append(p.exts, e.ID)
	}
	q := r.URL.Query()
	p.include = p.refs(q.Get("attributes"))
	p.exclude = p.refs(q.Get("excludedAttributes"))
	return p
}

// wantsAttributes reports whether the request names attributes to return,
// which makes a PATCH answer with the resource instead of 204.
func wantsAttributes(r *http.Request) bool {
	q := r.URL.Query()
	return q.Has("attributes") || q.Has("excludedAttributes")
}

func (p projection) refs(list string) []attrRef {
	var out []attrRef
	for _, item := range strings.Split(list, ",") {
		item = strings.ToLower(strings.TrimSpace(item))
		if item == "" {
			continue
		}
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
		item = strings.TrimPrefix(item, userSchemaURI+":")
		item = strings.TrimPrefix(item, groupSchemaURI+":")
		ref.name, ref.sub, _ = strings.Cut(item, ".")
		out = append(out, ref)
	}
	return out
}

// keep reports whether the attribute (sub == "": as a whole or in part) is
// returned.
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
		if r.container == container && (r.name == "" || r.name == name && (r.sub == "" || r.sub == sub)) {
			return false
		}
	}
	return true
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
				p.applySubs(k, a, av)
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
		p.applySubs("", k, v)
	}
}

func (p projection) applySubs(container, name string, v any) {
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
		for _, e := range v {
			if m, ok := e.(map[string]any); ok {
				filterMap(m)
			}
		}
	}
}

func (p projection) isExt(k string) bool {
	for _, e := range p.exts {
		if strings.EqualFold(e, k) {
			return true
		}
	}
	return false
}
