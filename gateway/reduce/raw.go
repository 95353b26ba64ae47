package reduce

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"maps"
	"math/bits"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"folkevakt/gateway/freg"
)

// ErrMalformed is returned by PersonJSON for a document that is not a
// well-formed Folkeregisterperson (the gateway answers 502).
var ErrMalformed = errors.New("reduce: malformed person document")

// PersonJSON is Person on FREG's JSON as the upstream sent it: the lookup
// path, which so avoids decoding the whole document into freg.Person and
// encoding it again. Only what the rules read is parsed (entries'
// erGjeldende, address gradering, adressebeskyttelse, status); kept entries
// are copied as they came.
//
// It is as strict as the typed path: the document must be valid JSON
// without duplicate names (RFC 7493, so no entry can carry two gradering
// values that different readers resolve differently); top-level names that
// are not selected elements are dropped; an element whose entries hold a
// name or value kind outside freg.Person's model is first passed through
// the typed model (unknown fields dropped, exactly as a typed decode would),
// so nothing outside the model ever leaves.
//
// It runs on every person lookup, so the document is read once: one pass
// validates it and indexes its elements and entries (parser below), and the
// answer is then written into a single buffer of its exact size.
func PersonJSON(doc []byte, r Rules) ([]byte, bool, error) {
	p := parsers.Get().(*parser)
	defer p.release()
	if !p.document(doc) {
		return nil, false, ErrMalformed
	}

	// The protection level reads the whole answer, selected or not.
	level := ""
	for i := range p.members {
		m := &p.members[i]
		name := m.el.name
		if name != "adressebeskyttelse" && name != "bostedsadresse" && name != "oppholdsadresse" {
			continue
		}
		if string(m.val) == "null" {
			continue
		}
		if m.val[0] != '[' {
			return nil, false, ErrMalformed
		}
		if !m.fits {
			// Read the level as the typed model reads it: an entry naming
			// its gradering in another case or escaped still counts.
			if err := p.passThrough(m); err != nil {
				return nil, false, err
			}
			if m.val == nil {
				continue
			}
		}
		for _, e := range p.entriesOf(m) {
			switch {
			case name == "adressebeskyttelse":
				if e.erGjeldende == "true" {
					level = raise(level, e.graderingsnivaa)
				}
			case e.adressegradering == freg.GraderingStrengtFortrolig:
				level = raise(level, e.adressegradering)
			}
		}
	}

	// Decide what leaves, and how many bytes it takes.
	ad := addressRule{level: level, r: r}
	size, leaving := len("{}"), 0
	for i := range p.members {
		m := &p.members[i]
		el := m.el
		if !r.Selection.Contains(el.name) || string(m.val) == "null" {
			continue
		}
		if !m.fits {
			if err := p.passThrough(m); err != nil {
				return nil, false, err
			}
			if m.val == nil {
				continue
			}
		}
		if el.sch.kind == kArray {
			if dropElement(el.name, level, r) {
				continue
			}
			entries := p.entriesOf(m)
			kept, n := 0, 0
			for j := range entries {
				e := &entries[j]
				e.keep = r.Selection.Historikk || e.erGjeldende == "true"
				if e.keep && el.address {
					e.keep = ad.keep(e.adressegradering, el.optional)
				}
				if !e.keep {
					m.rebuild = true
					continue
				}
				if el.name == "status" && !r.Confidential {
					if masked, ok := maskedStatus(e.status); ok {
						e.val = setStatus(e.val, masked)
						m.rebuild = true
					}
				}
				kept++
				n += len(e.val)
			}
			if kept == 0 {
				continue
			}
			if m.rebuild {
				// The kept entries, comma-separated, in brackets.
				m.outLen = n + kept - 1 + 2
			}
		}
		if !m.rebuild {
			m.outLen = len(m.val)
		}
		m.out = true
		if leaving++; leaving > 1 {
			size++ // the comma before it
		}
		size += len(`"":`) + len(el.name) + m.outLen
	}

	out := make([]byte, 0, size)
	out = append(out, '{')
	for i := range p.members {
		m := &p.members[i]
		if !m.out {
			continue
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, '"')
		out = append(out, m.el.name...)
		out = append(out, '"', ':')
		if !m.rebuild {
			out = append(out, m.val...)
			continue
		}
		out = append(out, '[')
		first := true
		for _, e := range p.entriesOf(m) {
			if !e.keep {
				continue
			}
			if !first {
				out = append(out, ',')
			}
			first = false
			out = append(out, e.val...)
		}
		out = append(out, ']')
	}
	out = append(out, '}')
	return out, ad.revealed, nil
}

// setStatus returns a status entry with its status replaced (through the
// typed model: masking is rare and the entry small).
func setStatus(e []byte, status string) []byte {
	var s freg.Status
	if json.Unmarshal(e, &s) != nil {
		return e
	}
	s.Status = status
	b, _ := json.Marshal(s)
	return b
}

// passThrough replaces a member that does not have exactly its element's
// shape by its value passed through the typed model (nil if that leaves
// nothing), re-indexing its entries; ErrMalformed if the typed model cannot
// read it either.
func (p *parser) passThrough(m *member) error {
	sch := m.el.sch
	v := reflect.New(sch.typ)
	if err := json.Unmarshal(m.val, v.Interface()); err != nil {
		return ErrMalformed
	}
	if sch.kind == kArray && v.Elem().Len() == 0 {
		m.val = nil
		return nil
	}
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return ErrMalformed
	}
	// Index the encoding as the document was, to read its entries.
	p.b, p.i = b, 0
	m.first = len(p.entries)
	var fits, ok bool
	if sch.kind == kArray && len(b) > 0 && b[0] == '[' {
		fits, ok = p.elementArray(sch)
	} else {
		fits, ok = p.value(sch, 2)
	}
	m.n = len(p.entries) - m.first
	if !ok || !fits || p.i != len(b) {
		return ErrMalformed
	}
	m.val, m.fits = b, true
	return nil
}

// --- freg.Person's model ---

type kind uint8

const (
	kNone kind = iota // no shape: what fits nothing
	kString
	kBool
	kInt
	kObject
	kArray
)

// schema is the shape freg.Person's JSON encoding can take.
type schema struct {
	kind   kind
	fields map[string]*schema // kObject
	elem   *schema            // kArray
	typ    reflect.Type       // the Go type, to pass a nonconforming value through

	// kObject: the fields again, numbered in name order (at most 64, so
	// that an object's names seen so far fit a bit set) and grouped by
	// length: a name is found with a comparison or two, without hashing.
	byLen [][]field
}

type field struct {
	name    string
	sch     *schema
	index   int
	capture int // the entry field the rules read it is, if any

	// The name's first and last eight bytes (see ends), compared before
	// the rest of it.
	head, tail uint64
}

// field returns the field named name, or nil. Fields of one length are
// told apart by their ends: two word comparisons instead of a call to
// compare strings.
func (s *schema) field(name []byte) *field {
	if len(name) >= len(s.byLen) {
		return nil
	}
	fs := s.byLen[len(name)]
	if len(fs) == 0 {
		return nil
	}
	head, tail := ends(name)
	for i := range fs {
		f := &fs[i]
		if f.head == head && f.tail == tail && (len(name) <= 16 || f.name[8:len(name)-8] == string(name[8:len(name)-8])) {
			return f
		}
	}
	return nil
}

// ends returns the first and the last eight bytes of name as words (what
// there is of them, zero-padded, when name is shorter): equal lengths and
// ends mean equal names up to 16 bytes.
func ends[S []byte | string](name S) (head, tail uint64) {
	if len(name) >= 8 {
		return binary.LittleEndian.Uint64([]byte(name[:8])), binary.LittleEndian.Uint64([]byte(name[len(name)-8:]))
	}
	for i := len(name) - 1; i >= 0; i-- {
		head = head<<8 | uint64(name[i])
	}
	return head, 0
}

var personSchema = schemaOf(reflect.TypeFor[freg.Person]())

func schemaOf(t reflect.Type) *schema {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	s := &schema{typ: t}
	switch t.Kind() {
	case reflect.String:
		s.kind = kString
	case reflect.Bool:
		s.kind = kBool
	case reflect.Int, reflect.Int64, reflect.Int32:
		s.kind = kInt
	case reflect.Slice:
		s.kind, s.elem = kArray, schemaOf(t.Elem())
	case reflect.Struct:
		s.kind, s.fields = kObject, map[string]*schema{}
		addFields(s.fields, t)
		names := slices.Sorted(maps.Keys(s.fields))
		if len(names) > 64 {
			panic("reduce: more than 64 fields in " + t.String())
		}
		for i, name := range names {
			if len(name) >= len(s.byLen) {
				s.byLen = slices.Grow(s.byLen, len(name)+1-len(s.byLen))[:len(name)+1]
			}
			f := field{name: name, sch: s.fields[name], index: i, capture: captureOf(name)}
			f.head, f.tail = ends(name)
			s.byLen[len(name)] = append(s.byLen[len(name)], f)
		}
	default:
		panic("reduce: no schema for " + t.String())
	}
	return s
}

// addFields adds t's JSON fields, flattening embedded structs as
// encoding/json does.
func addFields(m map[string]*schema, t reflect.Type) {
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			addFields(m, f.Type)
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = schemaOf(f.Type)
	}
}

// element is a top-level member of the model, with what the rules need to
// know of it precomputed.
type element struct {
	name     string
	sch      *schema
	address  bool // holds an address: entries are filtered by gradering
	optional bool // an address element where FREG may leave gradering unset
}

// elements are the model's top-level members, by field index.
var elements = func() []element {
	els := make([]element, len(personSchema.fields))
	for _, fs := range personSchema.byLen {
		for _, f := range fs {
			els[f.index] = element{
				name:     f.name,
				sch:      f.sch,
				address:  slices.Contains(addressElements, f.name),
				optional: f.name == "preferertKontaktadresse",
			}
		}
	}
	return els
}()

// --- one pass over the document ---

// maxDepth is how deeply arrays and objects may nest, the top-level value
// counting as 1: jsontext's limit, which decided validity before.
const maxDepth = 10000

// maxNames is how many names an object may have before duplicates are
// found through a map rather than by comparing with every earlier name.
// FREG's objects have a handful.
const maxNames = 32

// member is a top-level member naming an element of the model.
type member struct {
	el       *element
	val      []byte // its value, without surrounding whitespace
	fits     bool   // val has exactly el's shape (see parser.value)
	first, n int    // its entries in parser.entries, when val is an array

	// Decided by PersonJSON.
	out     bool // the member leaves
	rebuild bool // as the kept entries, not as val
	outLen  int  // length of the value that leaves
}

// entry is an element of a member's array, with the texts of the fields the
// rules read: a string's value, "true" or "false" for a boolean, "" for
// anything else or an absent field. Fields are matched by their name as
// written, so an escaped name is not the field (an entry with one does not
// fit and is read again after passing through the typed model).
type entry struct {
	val                                                    []byte
	erGjeldende, adressegradering, graderingsnivaa, status string
	keep                                                   bool // decided by PersonJSON
}

// nameRef is an object member name being checked for duplicates: a range of
// the document, or of parser.scratch when it had to be unescaped.
type nameRef struct {
	start, end int
	unescaped  bool
}

// parser validates a document strictly (RFC 8259 grammar, UTF-8, escapes,
// no duplicate names per RFC 7493, nesting depth as jsontext) while it
// indexes the top-level members that name elements of the model and their
// entries, and decides whether each has exactly the model's shape.
// Parsers are pooled: their slices are reused from one document to the
// next, so a lookup allocates little beyond its answer.
type parser struct {
	b       []byte
	i       int
	names   []nameRef // names of the objects being parsed, innermost last
	scratch []byte    // unescaped names and field values
	members []member  // in document order
	entries []entry
}

var parsers = sync.Pool{New: func() any { return new(parser) }}

// release returns p to the pool without references into the document.
func (p *parser) release() {
	clear(p.members)
	clear(p.entries)
	// A hostile document must not pin a large parser in the pool.
	if cap(p.entries) > 1<<12 || cap(p.scratch) > 1<<16 || cap(p.names) > 1<<12 || cap(p.members) > 1<<8 {
		return
	}
	p.b, p.members, p.entries, p.names, p.scratch = nil, p.members[:0], p.entries[:0], p.names[:0], p.scratch[:0]
	parsers.Put(p)
}

func (p *parser) entriesOf(m *member) []entry { return p.entries[m.first : m.first+m.n] }

// document parses doc, which must hold one object and nothing else but
// whitespace, and reports whether it is valid.
func (p *parser) document(doc []byte) bool {
	p.b, p.i = doc, 0
	if p.ws() != '{' {
		return false
	}
	p.i++
	c := p.ws()
	if c == '}' {
		p.i++
		p.ws()
		return p.i == len(p.b)
	}
	// A top-level name denotes its element even when escaped.
	names := objectNames{sch: personSchema}
	for {
		if c != '"' {
			return false
		}
		nameStart := p.i
		f, _, ok := p.name(&names)
		if !ok || (f == nil && p.foldsToElement(nameStart)) || p.ws() != ':' {
			return false
		}
		p.i++
		if p.ws() == 0 {
			return false
		}
		start := p.i
		if f == nil {
			_, ok = p.value(nil, 2)
		} else {
			el := &elements[f.index]
			m := member{el: el, first: len(p.entries)}
			if el.sch.kind == kArray && p.b[p.i] == '[' {
				m.fits, ok = p.elementArray(el.sch)
			} else {
				m.fits, ok = p.value(el.sch, 2)
			}
			m.val, m.n = p.b[start:p.i], len(p.entries)-m.first
			p.members = append(p.members, m)
		}
		if !ok {
			return false
		}
		switch p.ws() {
		case ',':
			p.i++
			c = p.ws()
		case '}':
			p.i++
			p.ws()
			p.names = p.names[:0]
			return p.i == len(p.b)
		default:
			return false
		}
	}
}

// foldsToElement reports whether the name token ending at p.i (starting at
// start) is an element's name in another case. encoding/json would read it
// as that element (it matches names case-insensitively), this reduction
// would drop it: rather than let the two disagree on, say, a person's
// adressebeskyttelse, such a document is refused. FREG never sends one.
func (p *parser) foldsToElement(start int) bool {
	name := p.b[start+1 : p.i-1]
	if bytes.IndexByte(name, '\\') >= 0 {
		name = appendUnescaped(nil, name)
	}
	for i := range elements {
		if bytes.EqualFold(name, []byte(elements[i].name)) {
			return true
		}
	}
	return false
}

// elementArray parses the array at p.i that is the value of a top-level
// member, indexing its entries in p.entries, and reports whether it fits
// sch (an array schema).
func (p *parser) elementArray(sch *schema) (fits, ok bool) {
	p.i++ // '['
	fits = true
	c := p.ws()
	if c == ']' {
		p.i++
		return true, true
	}
	for {
		var e entry
		start := p.i
		var f bool
		if c == '{' {
			f, ok = p.object(sch.elem, 3, &e)
		} else {
			f, ok = p.value(sch.elem, 3)
		}
		if !ok {
			return false, false
		}
		fits = fits && f
		e.val = p.b[start:p.i]
		p.entries = append(p.entries, e)
		switch p.ws() {
		case ',':
			p.i++
			c = p.ws()
		case ']':
			p.i++
			return fits, true
		default:
			return false, false
		}
	}
}

// value parses the value at p.i (whitespace skipped) at nesting depth,
// and reports whether it has exactly the shape of sch (nil: no shape): only
// names of the model, each with its kind; null fits no kind, not even where
// the model holds a pointer or slice, so that the typed model decides.
func (p *parser) value(sch *schema, depth int) (fits, ok bool) {
	b := p.b
	if p.i >= len(b) {
		return false, false
	}
	k := kNone
	if sch != nil {
		k = sch.kind
	}
	switch c := b[p.i]; c {
	case '{':
		return p.object(sch, depth, nil)
	case '[':
		return p.array(sch, depth)
	case '"':
		_, ok = p.str()
		return k == kString, ok
	case 't':
		return k == kBool, p.literal("true")
	case 'f':
		return k == kBool, p.literal("false")
	case 'n':
		return false, p.literal("null")
	default:
		if c == '-' || c >= '0' && c <= '9' {
			integer, ok := p.number()
			return k == kInt && integer, ok
		}
		return false, false
	}
}

// object parses the object at p.i. e, when not nil, receives the fields
// the rules read.
func (p *parser) object(sch *schema, depth int, e *entry) (fits, ok bool) {
	if depth > maxDepth {
		return false, false
	}
	p.i++ // '{'
	names := objectNames{base: len(p.names)}
	if sch != nil && sch.kind == kObject {
		names.sch = sch
	}
	fits = names.sch != nil
	c := p.ws()
	if c == '}' {
		p.i++
		return fits, true
	}
	for {
		if c != '"' {
			return false, false
		}
		start := p.i
		f, esc, ok := p.name(&names)
		if !ok {
			return false, false
		}
		key := p.b[start+1 : p.i-1]
		if p.ws() != ':' {
			return false, false
		}
		// An escaped name never fits: only the typed model reads it.
		var child *schema
		if fits {
			if f != nil && !esc {
				child = f.sch
			} else {
				fits = false
			}
		}
		p.i++
		if p.ws() == 0 {
			return false, false
		}
		vstart := p.i
		vfits, ok := p.value(child, depth+1)
		if !ok {
			return false, false
		}
		fits = fits && vfits
		if e != nil && !esc {
			which := capNone
			if f != nil {
				which = f.capture
			} else {
				which = captureOf(string(key))
			}
			if which != capNone {
				p.capture(e, which, p.b[vstart:p.i])
			}
		}
		switch p.ws() {
		case ',':
			p.i++
			c = p.ws()
		case '}':
			p.i++
			p.names = p.names[:names.base]
			return fits, true
		default:
			return false, false
		}
	}
}

// array parses the array at p.i.
func (p *parser) array(sch *schema, depth int) (fits, ok bool) {
	if depth > maxDepth {
		return false, false
	}
	p.i++ // '['
	var elem *schema
	fits = sch != nil && sch.kind == kArray
	if fits {
		elem = sch.elem
	}
	if p.ws() == ']' {
		p.i++
		return fits, true
	}
	for {
		f, ok := p.value(elem, depth+1)
		if !ok {
			return false, false
		}
		fits = fits && f
		switch p.ws() {
		case ',':
			p.i++
			p.ws()
		case ']':
			p.i++
			return fits, true
		default:
			return false, false
		}
	}
}

// ws skips whitespace and returns the byte at p.i, 0 at the end.
func (p *parser) ws() byte {
	for p.i < len(p.b) {
		c := p.b[p.i]
		if c > ' ' || c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return c
		}
		p.i++
	}
	return 0
}

func (p *parser) literal(lit string) bool {
	if len(p.b)-p.i < len(lit) || string(p.b[p.i:p.i+len(lit)]) != lit {
		return false
	}
	p.i += len(lit)
	return true
}

// number parses the number at p.i (RFC 8259: no leading zeros, digits on
// both sides of a point, signed exponent) and reports whether it is an
// integer (no fraction, no exponent), the only kind the model's ints fit.
func (p *parser) number() (integer, ok bool) {
	b, i := p.b, p.i
	if b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return false, false
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		i = digits(b, i+1)
	default:
		return false, false
	}
	integer = true
	if i < len(b) && b[i] == '.' {
		integer = false
		j := digits(b, i+1)
		if j == i+1 {
			return false, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		integer = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return false, false
		}
		i = j
	}
	p.i = i
	return integer, true
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// plain marks the bytes a string may hold as they are: ASCII from the
// space on, but the quote and the backslash.
var plain = func() (t [256]bool) {
	for c := ' '; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str parses the string at p.i and reports whether it holds escapes. Like
// jsontext, it refuses control characters, invalid UTF-8 and escapes that
// do not denote a Unicode scalar value (a lone or reversed surrogate).
func (p *parser) str() (esc, ok bool) {
	b, i := p.b, p.i+1
	for {
		i = skipPlain(b, i)
		if i >= len(b) {
			return false, false
		}
		switch c := b[i]; {
		case c == '"':
			p.i = i + 1
			return esc, true
		case c == '\\':
			n := escapeLen(b[i:])
			if n == 0 {
				return false, false
			}
			esc = true
			i += n
		case c < ' ':
			return false, false
		default:
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n == 1 {
				return false, false
			}
			i += n
		}
	}
}

// skipPlain returns the index of the first byte from i on that is not
// plain, or len(b). It tests eight bytes at a time, as most of a person
// document is string text.
func skipPlain(b []byte, i int) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		q, bs := x^(ones*'"'), x^(ones*'\\')
		// A byte's high bit is set in special when the byte is below ' ',
		// is a quote or a backslash (zero after the xor), or is not ASCII.
		// Borrows run only toward later bytes, so the first flag is exact.
		special := (x-ones*' ')&^x | (q-ones)&^q | (bs-ones)&^bs | x
		if special &= highs; special != 0 {
			return i + bits.TrailingZeros64(special)/8
		}
	}
	for i < len(b) && plain[b[i]] {
		i++
	}
	return i
}

// escapeLen returns the length of the valid escape sequence b starts with,
// or 0.
func escapeLen(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2
	case 'u':
		r1, ok := hex4(b[2:])
		switch {
		case !ok:
			return 0
		case r1 < 0xd800 || r1 > 0xdfff:
			return 6
		case r1 > 0xdbff || len(b) < 12 || b[6] != '\\' || b[7] != 'u':
			return 0
		}
		if r2, ok := hex4(b[8:]); !ok || r2 < 0xdc00 || r2 > 0xdfff {
			return 0
		}
		return 12
	}
	return 0
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// appendUnescaped appends the text of s, the inside of a valid string.
func appendUnescaped(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		switch c = s[i+1]; c {
		case 'u':
			r, _ := hex4(s[i+2:])
			i += 6
			if r >= 0xd800 && r <= 0xdfff {
				r2, _ := hex4(s[i+2:])
				r = utf16.DecodeRune(r, r2)
				i += 6
			}
			dst = utf8.AppendRune(dst, r)
			continue
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		}
		dst = append(dst, c)
		i += 2
	}
	return dst
}

// objectNames are the names of one object parsed so far, to refuse a
// duplicate. A name that is a field of the object's schema is a bit in
// known (FREG's objects name nothing else); any other name is kept in
// parser.names from base, or in seen once there are many.
type objectNames struct {
	sch   *schema
	known uint64
	base  int
	seen  map[string]struct{}
}

// name parses the member name at p.i and adds it to names. It returns the
// field of names.sch it denotes once unescaped, whether it was escaped, and
// false if it is invalid or a duplicate.
func (p *parser) name(names *objectNames) (f *field, esc, ok bool) {
	start := p.i
	if esc, ok = p.str(); !ok {
		return nil, false, false
	}
	ref := nameRef{start: start + 1, end: p.i - 1}
	if esc {
		ref = nameRef{start: len(p.scratch), unescaped: true}
		p.scratch = appendUnescaped(p.scratch, p.b[start+1:p.i-1])
		ref.end = len(p.scratch)
	}
	name := p.nameBytes(ref)
	if names.sch != nil {
		if f = names.sch.field(name); f != nil {
			bit := uint64(1) << f.index
			if names.known&bit != 0 {
				return nil, false, false
			}
			names.known |= bit
			return f, esc, true
		}
	}
	if names.seen != nil {
		if _, dup := names.seen[string(name)]; dup {
			return nil, false, false
		}
		names.seen[string(name)] = struct{}{}
		return nil, esc, true
	}
	for _, o := range p.names[names.base:] {
		if o.end-o.start == len(name) && string(p.nameBytes(o)) == string(name) {
			return nil, false, false
		}
	}
	p.names = append(p.names, ref)
	if len(p.names)-names.base > maxNames {
		// Comparing each name with every other would be quadratic.
		names.seen = make(map[string]struct{}, 2*maxNames)
		for _, o := range p.names[names.base:] {
			names.seen[string(p.nameBytes(o))] = struct{}{}
		}
		p.names = p.names[:names.base]
	}
	return nil, esc, true
}

func (p *parser) nameBytes(n nameRef) []byte {
	if n.unescaped {
		return p.scratch[n.start:n.end]
	}
	return p.b[n.start:n.end]
}

// The entry fields the rules read.
const (
	capNone = iota
	capErGjeldende
	capAdressegradering
	capGraderingsnivaa
	capStatus
)

// captureOf returns which entry field the rules read a name denotes.
func captureOf(name string) int {
	switch name {
	case "erGjeldende":
		return capErGjeldende
	case "adressegradering":
		return capAdressegradering
	case "graderingsnivaa":
		return capGraderingsnivaa
	case "status":
		return capStatus
	}
	return capNone
}

// capture records in e the value v of the field which.
func (p *parser) capture(e *entry, which int, v []byte) {
	var t string
	switch v[0] {
	case '"':
		s := v[1 : len(v)-1]
		if bytes.IndexByte(s, '\\') >= 0 {
			n := len(p.scratch)
			p.scratch = appendUnescaped(p.scratch, s)
			s = p.scratch[n:]
		}
		t = text(s)
	case 't':
		t = "true"
	case 'f':
		t = "false"
	}
	switch which {
	case capErGjeldende:
		e.erGjeldende = t
	case capAdressegradering:
		e.adressegradering = t
	case capGraderingsnivaa:
		e.graderingsnivaa = t
	case capStatus:
		e.status = t
	}
}

// text returns s as a string, without allocating for the values FREG
// gives the fields the rules read.
func text(s []byte) string {
	switch string(s) {
	case "":
		return ""
	case freg.GraderingUgradert:
		return freg.GraderingUgradert
	case freg.GraderingFortrolig:
		return freg.GraderingFortrolig
	case freg.GraderingStrengtFortrolig:
		return freg.GraderingStrengtFortrolig
	case freg.GraderingKlientadresse:
		return freg.GraderingKlientadresse
	case "bosatt":
		return "bosatt"
	case "utflyttet":
		return "utflyttet"
	case "doed":
		return "doed"
	case "opphoert":
		return "opphoert"
	case "inaktiv":
		return "inaktiv"
	case statusAktiv:
		return statusAktiv
	case "midlertidig":
		return "midlertidig"
	case "forsvunnet":
		return "forsvunnet"
	case "ikkeBosatt":
		return "ikkeBosatt"
	case "iBruk":
		return "iBruk"
	}
	return string(s)
}
