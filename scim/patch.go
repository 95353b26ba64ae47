package scim

import (
	"fmt"
	"reflect"
	"slices"

	elimity "github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	elimityfilter "github.com/elimity-com/scim/filter"
	"github.com/elimity-com/scim/schema"
	"github.com/scim2/filter-parser/v2"
)

// applyOp applies one PATCH operation, already validated by elimity (op
// lower-cased, path parsed, values typed), to doc: a resource document with
// canonical attribute names and extensions under their URN (RFC 7644 §3.5.2).
func applyOp(rs resourceSchema, doc map[string]any, op elimity.PatchOperation) error {
	if op.Path != nil {
		return applyPath(rs, doc, op.Op, *op.Path, op.Value)
	}
	// Without a path the value holds attribute paths as keys, e.g. Entra's
	// "name.givenName" or "urn:…:enterprise:2.0:User:employeeNumber".
	values, ok := op.Value.(map[string]any)
	if !ok {
		return invalidValue("an operation without path needs an object value")
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys) // deterministic when keys overlap ("name", "name.givenName")
	for _, k := range keys {
		p, err := filter.ParsePath([]byte(k))
		if err != nil {
			return invalidPath("invalid attribute path in value")
		}
		if err := applyPath(rs, doc, op.Op, p, values[k]); err != nil {
			return err
		}
	}
	return nil
}

func applyPath(rs resourceSchema, doc map[string]any, op string, p filter.Path, value any) error {
	ap := p.AttributePath
	container, attr, ok := rs.lookup(ap.URI(), ap.AttributeName)
	if !ok {
		return invalidPath("unknown attribute " + ap.AttributeName)
	}
	target := doc
	if container != "" {
		ext, _ := doc[container].(map[string]any)
		if ext == nil {
			if op == elimity.PatchOperationRemove {
				return nil
			}
			ext = map[string]any{}
			doc[container] = ext
		}
		target = ext
		defer dropEmpty(doc, container)
	}
	name := attr.Name()
	defer dropEmpty(target, name)
	if p.ValueExpression != nil {
		return applyFiltered(target, attr, op, p.ValueExpression, p.SubAttributeName(), value)
	}
	if sub := ap.SubAttributeName(); sub != "" {
		subAttr, ok := attr.SubAttributes().ContainsAttribute(sub)
		if !ok {
			return invalidPath("unknown sub-attribute " + sub)
		}
		return applySub(target, attr, subAttr.Name(), op, value)
	}
	switch op {
	case elimity.PatchOperationRemove:
		if value != nil && attr.MultiValued() {
			target[name] = slices.DeleteFunc(asList(target[name]), func(e any) bool {
				return slices.ContainsFunc(asList(value), func(v any) bool { return sameElement(e, v) })
			})
			return nil
		}
		delete(target, name)
	case elimity.PatchOperationAdd:
		if attr.MultiValued() {
			list := asList(target[name])
			for _, v := range asList(value) {
				if !slices.ContainsFunc(list, func(e any) bool { return sameElement(e, v) }) {
					list = append(list, v)
				}
			}
			target[name] = list
			return nil
		}
		setOrMerge(target, attr, value)
	default: // replace
		setOrMerge(target, attr, value)
	}
	return nil
}

// setOrMerge sets a single value; a complex one is merged, leaving
// sub-attributes not mentioned unchanged (RFC 7644 §3.5.2.1 and .3).
func setOrMerge(target map[string]any, attr schema.CoreAttribute, value any) {
	name := attr.Name()
	v, isMap := value.(map[string]any)
	old, hadMap := target[name].(map[string]any)
	if attr.MultiValued() || !isMap || !hadMap {
		target[name] = value
		return
	}
	for k, sv := range v {
		old[k] = sv
	}
}

// applySub handles attr.sub paths such as name.givenName; on a multi-valued
// attribute it applies to every element.
func applySub(target map[string]any, attr schema.CoreAttribute, sub, op string, value any) error {
	name := attr.Name()
	if attr.MultiValued() {
		for _, e := range asList(target[name]) {
			if m, ok := e.(map[string]any); ok {
				setSub(m, sub, op, value)
			}
		}
		return nil
	}
	m, _ := target[name].(map[string]any)
	if m == nil {
		if op == elimity.PatchOperationRemove {
			return nil
		}
		m = map[string]any{}
		target[name] = m
	}
	setSub(m, sub, op, value)
	return nil
}

func setSub(m map[string]any, sub, op string, value any) {
	if op == elimity.PatchOperationRemove {
		delete(m, sub)
		return
	}
	m[sub] = value
}

// applyFiltered handles value-path targets such as
// emails[type eq "work"].value.
func applyFiltered(target map[string]any, attr schema.CoreAttribute, op string, expr filter.Expression, sub string, value any) error {
	if !attr.MultiValued() {
		return invalidPath("a value filter needs a multi-valued attribute")
	}
	if sub != "" {
		subAttr, ok := attr.SubAttributes().ContainsAttribute(sub)
		if !ok {
			return invalidPath("unknown sub-attribute " + sub)
		}
		sub = subAttr.Name()
	}
	matcher := elimityfilter.NewFilterValidator(expr, schema.Schema{Attributes: elementAttributes(attr)})
	name := attr.Name()
	var out []any
	matched := false
	for _, e := range asList(target[name]) {
		m, ok := e.(map[string]any)
		if !ok || !passes(matcher, m) {
			out = append(out, e)
			continue
		}
		matched = true
		switch {
		case op == elimity.PatchOperationRemove && sub == "":
			continue
		case sub != "":
			setSub(m, sub, op, value)
		default:
			mergeInto(m, value)
		}
		out = append(out, m)
	}
	if !matched {
		switch op {
		case elimity.PatchOperationRemove:
			return nil
		case elimity.PatchOperationReplace:
			return badRequest(scimerrors.ScimTypeNoTarget, "no value of "+name+" matches the filter")
		}
		// An add on an absent entry creates it from the filter's equalities.
		m, ok := entryFromFilter(attr, expr)
		if !ok {
			return badRequest(scimerrors.ScimTypeNoTarget, "no value of "+name+" matches the filter")
		}
		if sub != "" {
			m[sub] = value
		} else {
			mergeInto(m, value)
		}
		out = append(out, m)
	}
	target[name] = out
	return nil
}

// passes evaluates a value filter on one element. elimity's evaluator panics
// on shapes it does not expect; a stored element it cannot evaluate does not
// match.
func passes(v elimityfilter.Validator, m map[string]any) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return v.PassesFilter(m) == nil
}

// mergeInto copies the sub-attributes of value (an object, or elimity's
// one-element list of it) into m.
func mergeInto(m map[string]any, value any) {
	for _, v := range asList(value) {
		if obj, ok := v.(map[string]any); ok {
			for k, sv := range obj {
				m[k] = sv
			}
		}
	}
}

// entryFromFilter builds the element a filter of eq comparisons joined by
// "and" describes, e.g. {"type": "work"}.
func entryFromFilter(attr schema.CoreAttribute, expr filter.Expression) (map[string]any, bool) {
	m := map[string]any{}
	var walk func(filter.Expression) bool
	walk = func(e filter.Expression) bool {
		switch e := e.(type) {
		case *filter.AttributeExpression:
			sub, ok := elementAttributes(attr).ContainsAttribute(e.AttributePath.AttributeName)
			if !ok || e.Operator != filter.EQ || e.AttributePath.SubAttribute != nil {
				return false
			}
			m[sub.Name()] = e.CompareValue
			return true
		case *filter.LogicalExpression:
			return e.Operator == filter.AND && walk(e.Left) && walk(e.Right)
		}
		return false
	}
	return m, walk(expr)
}

func asList(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	return []any{v}
}

// sameElement compares multi-valued elements by their "value" where they
// have one (members, emails), else as a whole.
func sameElement(a, b any) bool {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		av, aHas := am["value"]
		bv, bHas := bm["value"]
		if aHas && bHas {
			return fmt.Sprint(av) == fmt.Sprint(bv)
		}
	}
	return reflect.DeepEqual(a, b)
}

// dropEmpty removes key when its value became empty, so that documents never
// hold null, {} or [].
func dropEmpty(m map[string]any, key string) {
	switch v := m[key].(type) {
	case nil:
		delete(m, key)
	case map[string]any:
		if len(v) == 0 {
			delete(m, key)
		}
	case []any:
		if len(v) == 0 {
			delete(m, key)
		}
	}
}
