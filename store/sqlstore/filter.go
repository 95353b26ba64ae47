package sqlstore

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"folkevakt/store"
)

// This file translates store.Filter (SCIM filters) to SQL. Attributes with a
// column of their own compare through its index; every other attribute is
// read from the JSON resource in the attributes column, whose keys the SCIM
// layer writes in canonical casing. Filter attribute names are matched
// case-insensitively by mapping known names to that casing.
//
// NULL (an absent attribute) is treated as false: "not" and "ne" use
// IS NOT TRUE, so "not (title eq x)" matches users without a title.

type colKind int

const (
	colText   colKind = iota // case-exact text
	colFolded                // text stored folded; compare with fold(value)
	colBool
	colTime // microseconds; compare with an RFC 3339 value
	colJSON // a JSON scalar: strings compare case-insensitively
)

type column struct {
	expr string
	kind colKind
	// partial: the column's index only holds non-empty values, so
	// equality must say so for the planner to use it.
	partial bool
}

// relation is a multi-valued attribute kept in a table (group members, a
// user's groups); its "value" sub-attribute is the related id.
type relation struct {
	table string // cond and value refer to it as "m."
	cond  string
	value string
}

type resource struct {
	table, alias string
	columns      map[string]column // lower-case attribute path → column
	relations    map[string]relation
}

var userResource = &resource{table: "users", alias: "u",
	columns: map[string]column{
		"id":                {expr: "u.id", kind: colText},
		"username":          {expr: "u.user_name_ci", kind: colFolded},
		"externalid":        {expr: "u.external_id", kind: colText, partial: true},
		"displayname":       {expr: "u.display_name_ci", kind: colFolded},
		"active":            {expr: "u.active", kind: colBool},
		"meta.created":      {expr: "u.created_at", kind: colTime},
		"meta.lastmodified": {expr: "u.updated_at", kind: colTime},
	},
	relations: map[string]relation{
		"groups": {"memberships", "m.org_id = u.org_id AND m.user_id = u.id", "m.group_id"},
	},
}

var groupResource = &resource{table: "groups", alias: "g",
	columns: map[string]column{
		"id":                {expr: "g.id", kind: colText},
		"displayname":       {expr: "g.display_name_ci", kind: colFolded},
		"externalid":        {expr: "g.external_id", kind: colText, partial: true},
		"meta.created":      {expr: "g.created_at", kind: colTime},
		"meta.lastmodified": {expr: "g.updated_at", kind: colTime},
	},
	relations: map[string]relation{
		"members": {"memberships", "m.org_id = g.org_id AND m.group_id = g.id", "m.user_id"},
	},
}

const enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// coreURNs prefix core attributes, which are stored without them.
var coreURNs = []string{"urn:ietf:params:scim:schemas:core:2.0:user", "urn:ietf:params:scim:schemas:core:2.0:group"}

// canonical maps lower-case names of the RFC 7643 User, Group and
// enterprise attributes to their stored casing.
var canonical = func() map[string]string {
	m := map[string]string{}
	for _, n := range strings.Fields(`userName name formatted familyName givenName middleName honorificPrefix
		honorificSuffix displayName nickName profileUrl title userType preferredLanguage locale timezone active
		emails phoneNumbers ims photos addresses streetAddress locality region postalCode country groups
		entitlements roles x509Certificates value display type primary $ref members externalId
		employeeNumber costCenter organization division department manager schemas meta resourceType created
		lastModified location version ` + enterpriseURN) {
		m[strings.ToLower(n)] = n
	}
	return m
}()

// multiValued attributes are JSON arrays of objects (or of strings).
var multiValued = map[string]bool{"emails": true, "phoneNumbers": true, "ims": true, "photos": true,
	"addresses": true, "entitlements": true, "roles": true, "x509Certificates": true}

var (
	attrName = regexp.MustCompile(`^[A-Za-z$][A-Za-z0-9_$-]*$`)
	urnName  = regexp.MustCompile(`^urn:[A-Za-z0-9._:-]+$`)
)

// Bounds on the filters compiled to SQL: every node adds at most a few
// levels to the SQL expression, so these keep it far below SQLite's depth
// limit (1000) and PostgreSQL's stack limit, whoever builds the filter. The
// SCIM layer's own limits are stricter.
const (
	maxFilterNodes = 512
	maxFilterDepth = 128
)

// checkFilterSize refuses a filter past the bounds without recursing
// deeper than maxFilterDepth.
func checkFilterSize(f *store.Filter) error {
	nodes := 0
	var fits func(f *store.Filter, depth int) bool
	fits = func(f *store.Filter, depth int) bool {
		if f == nil {
			return true
		}
		nodes++
		if nodes > maxFilterNodes || depth > maxFilterDepth {
			return false
		}
		return fits(f.Left, depth+1) && fits(f.Right, depth+1)
	}
	if !fits(f, 1) {
		return store.Invalid("filter", "more than %d terms or nested deeper than %d", maxFilterNodes, maxFilterDepth)
	}
	return nil
}

// compileFilter returns a condition on res (alias res.alias) and its args.
func compileFilter(d dialect, res *resource, f *store.Filter) (string, []any, error) {
	if f == nil {
		return "1 = 1", nil, nil
	}
	if err := checkFilterSize(f); err != nil {
		return "", nil, err
	}
	c := &compiler{d: d, res: res}
	where, err := c.expr(f, scope{cols: res.columns, doc: res.alias + ".attributes", top: true})
	return where, c.args, err
}

type compiler struct {
	d       dialect
	res     *resource
	args    []any
	aliases int
}

// scope is where attribute names resolve: typed columns, then (if doc is
// set) JSON paths in doc. top marks the resource itself, where multi-valued
// and relation attributes exist.
type scope struct {
	cols map[string]column
	doc  string
	top  bool
}

func (c *compiler) expr(f *store.Filter, s scope) (string, error) {
	switch f.Op {
	case store.OpAnd, store.OpOr:
		if f.Left == nil || f.Right == nil {
			return "", store.Invalid("filter", "%s needs two operands", f.Op)
		}
		l, err := c.expr(f.Left, s)
		if err != nil {
			return "", err
		}
		r, err := c.expr(f.Right, s)
		if err != nil {
			return "", err
		}
		return "(" + l + ") " + strings.ToUpper(string(f.Op)) + " (" + r + ")", nil
	case store.OpNot:
		if f.Left == nil {
			return "", store.Invalid("filter", "not needs an operand")
		}
		inner, err := c.expr(f.Left, s)
		if err != nil {
			return "", err
		}
		return "(" + inner + ") IS NOT TRUE", nil
	case store.OpValuePath:
		if !s.top || f.Left == nil {
			return "", store.Invalid("filter", "misplaced value path %q", f.Attr)
		}
		return c.multi(f.Attr, f.Left)
	case store.OpEq, store.OpNe, store.OpCo, store.OpSw, store.OpEw, store.OpGt, store.OpGe, store.OpLt, store.OpLe, store.OpPr:
		return c.leaf(f, s)
	}
	return "", store.Invalid("filter", "unknown operator %q", f.Op)
}

func (c *compiler) leaf(f *store.Filter, s scope) (string, error) {
	if col, ok := s.cols[strings.ToLower(stripCore(f.Attr))]; ok {
		return c.compare(f, col)
	}
	if s.doc == "" {
		return "", store.Invalid("filter", "unknown attribute %q", f.Attr)
	}
	keys, err := attrPath(f.Attr)
	if err != nil {
		return "", err
	}
	if s.top {
		if _, rel := c.res.relations[strings.ToLower(keys[0])]; rel || multiValued[keys[0]] {
			if f.Op == store.OpPr && len(keys) == 1 {
				return c.multi(keys[0], nil)
			}
			// emails.value eq x is emails[value eq x]; a bare emails eq x
			// compares the primary sub-attribute "value".
			sub := "value"
			if len(keys) > 1 {
				sub = strings.Join(keys[1:], ".")
			}
			inner := *f
			inner.Attr = sub
			return c.multi(keys[0], &inner)
		}
	}
	if f.Op == store.OpPr {
		c.args = append(c.args, c.d.jsonPath(keys))
		return c.d.jsonPresent(s.doc), nil
	}
	c.args = append(c.args, c.d.jsonPath(keys))
	if _, isString := f.Value.(string); !isString {
		return c.compare(f, column{expr: c.d.jsonTyped(s.doc), kind: colJSON})
	}
	return c.compare(f, column{expr: c.d.jsonValue(s.doc), kind: colJSON})
}

// multi is EXISTS over the elements of a multi-valued attribute that match
// inner (nil: any element).
func (c *compiler) multi(attr string, inner *store.Filter) (string, error) {
	c.aliases++
	if rel, ok := c.res.relations[strings.ToLower(attr)]; ok {
		alias := fmt.Sprintf("m%d", c.aliases)
		rename := strings.NewReplacer("m.", alias+".")
		from := `EXISTS (SELECT 1 FROM ` + rel.table + ` ` + alias + ` WHERE ` + rename.Replace(rel.cond)
		if inner == nil {
			return from + ")", nil
		}
		cond, err := c.expr(inner, scope{cols: map[string]column{"value": {expr: rename.Replace(rel.value), kind: colText}}})
		return from + ` AND (` + cond + `))`, err
	}
	keys, err := attrPath(attr)
	if err != nil {
		return "", err
	}
	if len(keys) != 1 || !multiValued[keys[0]] {
		return "", store.Invalid("filter", "%q is not a multi-valued attribute", attr)
	}
	if inner == nil {
		c.args = append(c.args, c.d.jsonPath(keys))
		return c.d.jsonPresent(c.res.alias + ".attributes"), nil
	}
	c.args = append(c.args, c.d.jsonPath(keys))
	from, elem := c.d.jsonElements(c.res.alias+".attributes", fmt.Sprintf("e%d", c.aliases))
	cond, err := c.expr(inner, scope{doc: elem})
	return `EXISTS (SELECT 1 FROM ` + from + ` WHERE ` + cond + `)`, err
}

// attrPath splits an attribute path into canonical JSON keys; an extension
// attribute becomes [URN, name, ...].
func attrPath(attr string) ([]string, error) {
	attr = stripCore(attr)
	var keys []string
	if strings.HasPrefix(strings.ToLower(attr), "urn:") {
		i := strings.LastIndex(attr, ":")
		urn := attr[:i]
		if !urnName.MatchString(urn) {
			return nil, store.Invalid("filter", "bad attribute %q", attr)
		}
		keys, attr = append(keys, canon(urn)), attr[i+1:]
	}
	for _, k := range strings.Split(attr, ".") {
		if !attrName.MatchString(k) {
			return nil, store.Invalid("filter", "bad attribute %q", attr)
		}
		keys = append(keys, canon(k))
	}
	return keys, nil
}

// stripCore removes a core schema URN prefix: core attributes are stored
// without it.
func stripCore(attr string) string {
	for _, u := range coreURNs {
		if len(attr) > len(u) && strings.EqualFold(attr[:len(u)+1], u+":") {
			return attr[len(u)+1:]
		}
	}
	return attr
}

func canon(name string) string {
	if c, ok := canonical[strings.ToLower(name)]; ok {
		return c
	}
	return name
}

// likeEscape escapes LIKE wildcards; patterns use ESCAPE '\'.
var likeEscape = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

var sqlOps = map[store.FilterOp]string{store.OpEq: "=", store.OpGt: ">", store.OpGe: ">=", store.OpLt: "<", store.OpLe: "<="}

// compare builds "col op value" with the case and type rules of col.
func (c *compiler) compare(f *store.Filter, col column) (string, error) {
	if f.Op == store.OpPr {
		switch col.kind {
		case colText, colFolded:
			return col.expr + " <> ''", nil
		default:
			return "1 = 1", nil // always present
		}
	}
	v, expr, err := c.operand(f, col)
	if err != nil {
		return "", err
	}
	switch f.Op {
	case store.OpNe:
		c.args = append(c.args, v)
		return "(" + expr + " = ?) IS NOT TRUE", nil
	case store.OpCo, store.OpSw, store.OpEw:
		s, ok := v.(string)
		if !ok || col.kind == colTime {
			return "", store.Invalid("filter", "%s needs a string value for %q", f.Op, f.Attr)
		}
		s = likeEscape.Replace(s)
		switch f.Op {
		case store.OpCo:
			s = "%" + s + "%"
		case store.OpSw:
			s += "%"
		default:
			s = "%" + s
		}
		c.args = append(c.args, s)
		return expr + ` LIKE ? ESCAPE '\'`, nil
	default:
		if _, isBool := v.(bool); isBool && f.Op != store.OpEq {
			return "", store.Invalid("filter", "%s does not apply to booleans (%q)", f.Op, f.Attr)
		}
		c.args = append(c.args, v)
		if col.partial && f.Op == store.OpEq {
			return expr + " = ? AND " + expr + " <> ''", nil
		}
		return expr + " " + sqlOps[f.Op] + " ?", nil
	}
}

// operand checks f.Value against the column type and returns the value to
// bind and the expression to compare it with.
func (c *compiler) operand(f *store.Filter, col column) (any, string, error) {
	bad := func() (any, string, error) {
		return nil, "", store.Invalid("filter", "unusable value for %q", f.Attr)
	}
	switch v := f.Value.(type) {
	case string:
		switch col.kind {
		case colText:
			return v, col.expr, nil
		case colFolded:
			return fold(v), col.expr, nil
		case colJSON:
			return fold(v), "lower(" + col.expr + ")", nil
		case colTime:
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return bad()
			}
			return micros(t), col.expr, nil
		}
	case bool:
		if col.kind == colBool || col.kind == colJSON {
			return v, col.expr, nil
		}
	case float64:
		if col.kind == colJSON {
			return v, col.expr, nil
		}
	}
	return bad()
}
