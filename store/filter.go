package store

// Filter is a backend-neutral filter expression (the SCIM filter grammar of
// RFC 7644 §3.4.2.2), which backends translate to indexed queries.
//
// Leaf nodes compare an attribute: Attr is the attribute path with the
// schema URN kept for extension attributes
// ("userName", "name.givenName", "emails.value",
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber").
// Attribute names are matched case-insensitively by backends.
//
// A value path such as emails[type eq "work" and value co "@x"] is a node with
// Op OpValuePath, Attr "emails" and Left holding the inner filter whose Attrs
// are relative to the element ("type", "value").
type Filter struct {
	Op    FilterOp
	Attr  string
	Value any // string, bool, float64 or nil
	Left  *Filter
	Right *Filter
}

// FilterOp is a filter operator.
type FilterOp string

// Operators.
const (
	OpEq        FilterOp = "eq"
	OpNe        FilterOp = "ne"
	OpCo        FilterOp = "co"
	OpSw        FilterOp = "sw"
	OpEw        FilterOp = "ew"
	OpGt        FilterOp = "gt"
	OpGe        FilterOp = "ge"
	OpLt        FilterOp = "lt"
	OpLe        FilterOp = "le"
	OpPr        FilterOp = "pr"
	OpAnd       FilterOp = "and"
	OpOr        FilterOp = "or"
	OpNot       FilterOp = "not"
	OpValuePath FilterOp = "valuepath"
)
