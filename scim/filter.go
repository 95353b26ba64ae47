package scim

import (
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/schema"
	"github.com/scim2/filter-parser/v2"

	"folkevakt/store"
)

// parseFilter checks a filter against the limits, applies the leniencies,
// parses it and converts it for the store.
func parseFilter(rs resourceSchema, raw string) (*store.Filter, error) {
	prepared, err := prepareFilter(raw)
	if err != nil {
		return nil, err
	}
	expr, err := filter.ParseFilter([]byte(prepared))
	if err != nil {
		return nil, scimerrors.ScimErrorInvalidFilter
	}
	return storeFilter(rs, expr)
}

// storeFilter converts a parsed filter into the store's filter AST, with
// attribute names in their canonical casing so that backends can map them to
// indexed columns. Besides the resource's schemas a filter may name the
// common attributes id, meta.created and meta.lastModified.
func storeFilter(rs resourceSchema, e filter.Expression) (*store.Filter, error) {
	resolve := func(ap filter.AttributePath) (string, schema.CoreAttribute, bool) {
		container, attr, ok := rs.lookup(ap.URI(), ap.AttributeName)
		if !ok && ap.URIPrefix == nil {
			attr, ok = filterCommonAttributes.ContainsAttribute(ap.AttributeName)
		}
		if !ok {
			return "", attr, false
		}
		if container != "" {
			return container + ":" + attr.Name(), attr, true
		}
		return attr.Name(), attr, true
	}
	return convertFilter(e, resolve)
}

// filterCommonAttributes are the common attributes (RFC 7643 §3.1) filters
// may compare; the store keeps them in columns.
var filterCommonAttributes = schema.Attributes{
	schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{Name: "id", CaseExact: true})),
	schema.ComplexCoreAttribute(schema.ComplexParams{Name: "meta", SubAttributes: []schema.SimpleParams{
		schema.SimpleDateTimeParams(schema.DateTimeParams{Name: "created"}),
		schema.SimpleDateTimeParams(schema.DateTimeParams{Name: "lastModified"}),
	}}),
}

// resolver maps an attribute path to its canonical name and definition.
type resolver func(filter.AttributePath) (string, schema.CoreAttribute, bool)

func convertFilter(e filter.Expression, resolve resolver) (*store.Filter, error) {
	switch e := e.(type) {
	case *filter.AttributeExpression:
		name, attr, ok := resolve(e.AttributePath)
		if !ok {
			return nil, scimerrors.ScimErrorInvalidFilter
		}
		if sub := e.AttributePath.SubAttributeName(); sub != "" {
			subAttr, ok := attr.SubAttributes().ContainsAttribute(sub)
			if !ok {
				return nil, scimerrors.ScimErrorInvalidFilter
			}
			name += "." + subAttr.Name()
		}
		op, ok := compareOps[e.Operator]
		if !ok {
			return nil, scimerrors.ScimErrorInvalidFilter
		}
		value, ok := filterValue(e.CompareValue)
		if !ok {
			return nil, scimerrors.ScimErrorInvalidFilter
		}
		return &store.Filter{Op: op, Attr: name, Value: value}, nil
	case *filter.LogicalExpression:
		left, err := convertFilter(e.Left, resolve)
		if err != nil {
			return nil, err
		}
		right, err := convertFilter(e.Right, resolve)
		if err != nil {
			return nil, err
		}
		op := store.OpAnd
		if e.Operator == filter.OR {
			op = store.OpOr
		}
		return &store.Filter{Op: op, Left: left, Right: right}, nil
	case *filter.NotExpression:
		inner, err := convertFilter(e.Expression, resolve)
		if err != nil {
			return nil, err
		}
		return &store.Filter{Op: store.OpNot, Left: inner}, nil
	case *filter.ValuePath:
		name, attr, ok := resolve(e.AttributePath)
		if !ok || !attr.MultiValued() || e.AttributePath.SubAttribute != nil {
			return nil, scimerrors.ScimErrorInvalidFilter
		}
		inner, err := convertFilter(e.ValueFilter, elementResolver(attr))
		if err != nil {
			return nil, err
		}
		return &store.Filter{Op: store.OpValuePath, Attr: name, Left: inner}, nil
	}
	return nil, scimerrors.ScimErrorInvalidFilter
}

// elementResolver resolves the names inside a value filter's brackets,
// which are relative to one element of attr.
func elementResolver(attr schema.CoreAttribute) resolver {
	return func(ap filter.AttributePath) (string, schema.CoreAttribute, bool) {
		if ap.URIPrefix != nil || ap.SubAttribute != nil {
			return "", schema.CoreAttribute{}, false
		}
		sub, ok := elementAttributes(attr).ContainsAttribute(ap.AttributeName)
		return sub.Name(), sub, ok
	}
}

// elementAttributes are the attributes one element of a multi-valued
// attribute has: its sub-attributes, or "value" for simple ones.
func elementAttributes(attr schema.CoreAttribute) schema.Attributes {
	if attr.HasSubAttributes() {
		return attr.SubAttributes()
	}
	return schema.Attributes{schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{Name: "value"}))}
}

var compareOps = map[filter.CompareOperator]store.FilterOp{
	filter.EQ: store.OpEq, filter.NE: store.OpNe, filter.CO: store.OpCo, filter.SW: store.OpSw,
	filter.EW: store.OpEw, filter.GT: store.OpGt, filter.GE: store.OpGe, filter.LT: store.OpLt,
	filter.LE: store.OpLe, filter.PR: store.OpPr,
}

// filterValue converts a comparison value to the types store.Filter allows.
func filterValue(v any) (any, bool) {
	switch v := v.(type) {
	case nil, string, bool, float64:
		return v, true
	case int:
		return float64(v), true
	}
	return nil, false
}
