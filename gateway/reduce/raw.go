package reduce

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

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
func PersonJSON(doc []byte, r Rules) ([]byte, bool, error) {
	if !jsontext.Value(doc).IsValid() {
		return nil, false, ErrMalformed
	}
	sc := scanner{b: doc}
	if sc.peek() != '{' {
		return nil, false, ErrMalformed
	}
	type member struct {
		name string
		val  []byte
	}
	var kept []member
	var beskyttelse, bosted, opphold []byte
	err := sc.object(func(key, val []byte) error {
		name, ok := elementName(key)
		if !ok {
			return nil
		}
		switch name {
		case "adressebeskyttelse":
			beskyttelse = val
		case "bostedsadresse":
			bosted = val
		case "oppholdsadresse":
			opphold = val
		}
		if r.Selection.Contains(name) {
			kept = append(kept, member{name, val})
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	// The protection level reads the whole answer, selected or not.
	level := ""
	if err := eachEntry(beskyttelse, func(e []byte) error {
		f := fieldsOf(e, "erGjeldende", "graderingsnivaa")
		if f[0] == "true" {
			level = raise(level, f[1])
		}
		return nil
	}); err != nil {
		return nil, false, err
	}
	for _, v := range [][]byte{bosted, opphold} {
		if err := eachEntry(v, func(e []byte) error {
			if g := fieldsOf(e, "adressegradering")[0]; g == freg.GraderingStrengtFortrolig {
				level = raise(level, g)
			}
			return nil
		}); err != nil {
			return nil, false, err
		}
	}

	ad := addressRule{level: level, r: r}
	out := make([]byte, 0, len(doc))
	out = append(out, '{')
	for _, m := range kept {
		sch := personSchema.fields[m.name]
		val, err := conform(m.val, sch)
		if err != nil {
			return nil, false, err
		}
		if val == nil {
			continue
		}
		if sch.kind == kObject { // doedsfall, falskIdentitet: no entries
			out = appendMember(out, m.name, val)
			continue
		}
		if dropElement(m.name, level, r) {
			continue
		}
		optional := m.name == "preferertKontaktadresse"
		isAddress := slices.Contains(addressElements, m.name)
		var entries [][]byte
		changed := false
		_ = eachEntry(val, func(e []byte) error {
			f := fieldsOf(e, "erGjeldende", "adressegradering", "status")
			keep := r.Selection.Historikk || f[0] == "true"
			if keep && isAddress {
				keep = ad.keep(f[1], optional)
			}
			if !keep {
				changed = true
				return nil
			}
			if m.name == "status" && !r.Confidential {
				if masked, ok := maskedStatus(f[2]); ok {
					e = setStatus(e, masked)
					changed = true
				}
			}
			entries = append(entries, e)
			return nil
		})
		if len(entries) == 0 {
			continue
		}
		if !changed {
			out = appendMember(out, m.name, val)
			continue
		}
		out = appendMember(out, m.name, nil)
		out = append(out, '[')
		for i, e := range entries {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, e...)
		}
		out = append(out, ']')
	}
	out = append(out, '}')
	return out, ad.revealed, nil
}

func appendMember(out []byte, name string, val []byte) []byte {
	if len(out) > 1 {
		out = append(out, ',')
	}
	out = append(out, '"')
	out = append(out, name...)
	out = append(out, '"', ':')
	return append(out, val...)
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

// elementName returns the catalogue element a top-level name denotes.
func elementName(key []byte) (string, bool) {
	k := unquote(key)
	if _, ok := personSchema.fields[k]; !ok {
		return "", false
	}
	return k, true
}

// fieldsOf returns the values of the named top-level members of a
// conforming entry object: strings unquoted, true/false as text, "" when
// absent or null.
func fieldsOf(entry []byte, names ...string) [3]string {
	var out [3]string
	sc := scanner{b: entry}
	_ = sc.object(func(key, val []byte) error {
		k := key[1 : len(key)-1]
		for i, n := range names {
			if string(k) == n {
				switch {
				case len(val) > 0 && val[0] == '"':
					out[i] = unquote(val)
				case string(val) == "true" || string(val) == "false":
					out[i] = string(val)
				}
			}
		}
		return nil
	})
	return out
}

// eachEntry calls fn for every element of a JSON array (nothing for null or
// absent); anything else is malformed.
func eachEntry(arr []byte, fn func(e []byte) error) error {
	if len(arr) == 0 || string(arr) == "null" {
		return nil
	}
	if arr[0] != '[' {
		return ErrMalformed
	}
	sc := scanner{b: arr}
	return sc.array(fn)
}

// --- conformance to freg.Person's model ---

type kind uint8

const (
	kString kind = iota
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

// conform returns v if it has exactly the shape of sch; otherwise v passed
// through the typed model (nil if that leaves nothing), or ErrMalformed if
// the typed model cannot read it either.
func conform(v []byte, sch *schema) ([]byte, error) {
	if string(v) == "null" {
		return nil, nil
	}
	if fits(v, sch) {
		return v, nil
	}
	p := reflect.New(sch.typ)
	if err := json.Unmarshal(v, p.Interface()); err != nil {
		return nil, ErrMalformed
	}
	if sch.kind == kArray && p.Elem().Len() == 0 {
		return nil, nil
	}
	b, err := json.Marshal(p.Interface())
	if err != nil || !fits(b, sch) {
		return nil, ErrMalformed
	}
	return b, nil
}

// fits reports whether v (valid JSON) has the shape of sch: only known
// names, each with its kind; null only where the model holds a pointer or
// slice is refused too, so that a passed-through value decides.
func fits(v []byte, sch *schema) bool {
	if len(v) == 0 {
		return false
	}
	switch sch.kind {
	case kString:
		return v[0] == '"'
	case kBool:
		return string(v) == "true" || string(v) == "false"
	case kInt:
		for i, c := range v {
			if !(c >= '0' && c <= '9' || c == '-' && i == 0) {
				return false
			}
		}
		return true
	case kArray:
		if v[0] != '[' {
			return false
		}
		sc := scanner{b: v}
		return sc.array(func(e []byte) error {
			if !fits(e, sch.elem) {
				return ErrMalformed
			}
			return nil
		}) == nil
	case kObject:
		if v[0] != '{' {
			return false
		}
		sc := scanner{b: v}
		return sc.object(func(key, val []byte) error {
			if bytes.IndexByte(key, '\\') >= 0 {
				return ErrMalformed
			}
			f := sch.fields[string(key[1:len(key)-1])]
			if f == nil || !fits(val, f) {
				return ErrMalformed
			}
			return nil
		}) == nil
	}
	return false
}

// --- a scanner over JSON already checked valid ---

type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

func (s *scanner) peek() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// value returns the next value and moves past it.
func (s *scanner) value() []byte {
	s.ws()
	start := s.i
	switch s.b[s.i] {
	case '"':
		s.str()
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				s.str()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			s.i++
			if depth == 0 {
				break
			}
		}
	default:
		for s.i < len(s.b) && !strings.ContainsRune(",]} \t\n\r", rune(s.b[s.i])) {
			s.i++
		}
	}
	return s.b[start:s.i]
}

// str moves past the string starting at s.i.
func (s *scanner) str() {
	s.i++
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '\\':
			s.i += 2
			continue
		case '"':
			s.i++
			return
		}
		s.i++
	}
}

// object calls fn for every member of the object at s.i; a non-nil error
// from fn stops and is returned.
func (s *scanner) object(fn func(key, val []byte) error) error {
	if s.peek() != '{' {
		return ErrMalformed
	}
	s.i++
	if s.peek() == '}' {
		s.i++
		return nil
	}
	for {
		s.ws()
		key := s.value()
		if s.peek() != ':' {
			return ErrMalformed
		}
		s.i++
		val := s.value()
		if err := fn(key, val); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return ErrMalformed
		}
	}
}

// array calls fn for every element of the array at s.i.
func (s *scanner) array(fn func(e []byte) error) error {
	if s.peek() != '[' {
		return ErrMalformed
	}
	s.i++
	if s.peek() == ']' {
		s.i++
		return nil
	}
	for {
		if err := fn(s.value()); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return ErrMalformed
		}
	}
}

// unquote returns the text of a JSON string token.
func unquote(tok []byte) string {
	if len(tok) < 2 || tok[0] != '"' {
		return ""
	}
	if bytes.IndexByte(tok, '\\') < 0 {
		return string(tok[1 : len(tok)-1])
	}
	var s string
	if json.Unmarshal(tok, &s) != nil {
		return ""
	}
	return s
}
