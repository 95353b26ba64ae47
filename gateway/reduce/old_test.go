// This file keeps PersonJSON as it was before the single-pass rewrite
// (commit 55f4f40, gateway/reduce/raw.go), only renamed, as the oracle of
// the differential tests: the new implementation must answer exactly as
// this one does.

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

// errOldMalformed is returned by oldPersonJSON for a document that is not a
// well-formed Folkeregisterperson (the gateway answers 502).
var errOldMalformed = errors.New("reduce: malformed person document")

// oldPersonJSON is the reference for the differential tests: the
// implementation before the one-pass parser, with the two rule fixes made
// since (marked "Fixed since"). Its own comment follows.
//
// oldPersonJSON is Person on FREG's JSON as the upstream sent it: the lookup
// path, which so avoids decoding the whole document into freg.Person and
// encoding it again. Only what the rules read is parsed (entries'
// erGjeldende, address gradering, adressebeskyttelse, status); kept entries
// are copied as they came.
//
// It is as strict as the typed path: the document must be valid JSON
// without duplicate names (RFC 7493, so no entry can carry two gradering
// values that different readers resolve differently); top-level names that
// are not selected elements are dropped; an element whose entries hold a
// name or value oldKind outside freg.Person's model is first passed through
// the typed model (unknown fields dropped, exactly as a typed decode would),
// so nothing outside the model ever leaves.
func oldPersonJSON(doc []byte, r Rules) ([]byte, bool, error) {
	if !jsontext.Value(doc).IsValid() {
		return nil, false, errOldMalformed
	}
	sc := oldScanner{b: doc}
	if sc.peek() != '{' {
		return nil, false, errOldMalformed
	}
	type member struct {
		name string
		val  []byte
	}
	var kept []member
	var beskyttelse, bosted, opphold []byte
	err := sc.object(func(key, val []byte) error {
		name, ok := oldElementName(key)
		if !ok {
			// Fixed since: an element named in another case is refused.
			for n := range oldPersonSchema.fields {
				if strings.EqualFold(oldUnquote(key), n) {
					return errOldMalformed
				}
			}
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
	// Fixed since: it reads entries as the typed model does, so that a
	// gradering named in another case or escaped still counts.
	for _, v := range []*[]byte{&beskyttelse, &bosted, &opphold} {
		if *v == nil {
			continue
		}
		name := map[*[]byte]string{&beskyttelse: "adressebeskyttelse", &bosted: "bostedsadresse", &opphold: "oppholdsadresse"}[v]
		c, err := oldConform(*v, oldPersonSchema.fields[name])
		if err != nil {
			return nil, false, err
		}
		*v = c
	}
	level := ""
	if err := oldEachEntry(beskyttelse, func(e []byte) error {
		f := oldFieldsOf(e, "erGjeldende", "graderingsnivaa")
		if f[0] == "true" {
			level = raise(level, f[1])
		}
		return nil
	}); err != nil {
		return nil, false, err
	}
	for _, v := range [][]byte{bosted, opphold} {
		if err := oldEachEntry(v, func(e []byte) error {
			if g := oldFieldsOf(e, "adressegradering")[0]; g == freg.GraderingStrengtFortrolig {
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
		sch := oldPersonSchema.fields[m.name]
		val, err := oldConform(m.val, sch)
		if err != nil {
			return nil, false, err
		}
		if val == nil {
			continue
		}
		if sch.oldKind == oldKObject { // doedsfall, falskIdentitet: no entries
			out = oldAppendMember(out, m.name, val)
			continue
		}
		if dropElement(m.name, level, r) {
			continue
		}
		optional := m.name == "preferertKontaktadresse"
		isAddress := slices.Contains(addressElements, m.name)
		var entries [][]byte
		changed := false
		_ = oldEachEntry(val, func(e []byte) error {
			f := oldFieldsOf(e, "erGjeldende", "adressegradering", "status")
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
					e = oldSetStatus(e, masked)
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
			out = oldAppendMember(out, m.name, val)
			continue
		}
		out = oldAppendMember(out, m.name, nil)
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

func oldAppendMember(out []byte, name string, val []byte) []byte {
	if len(out) > 1 {
		out = append(out, ',')
	}
	out = append(out, '"')
	out = append(out, name...)
	out = append(out, '"', ':')
	return append(out, val...)
}

// oldSetStatus returns a status entry with its status replaced (through the
// typed model: masking is rare and the entry small).
func oldSetStatus(e []byte, status string) []byte {
	var s freg.Status
	if json.Unmarshal(e, &s) != nil {
		return e
	}
	s.Status = status
	b, _ := json.Marshal(s)
	return b
}

// oldElementName returns the catalogue element a top-level name denotes.
func oldElementName(key []byte) (string, bool) {
	k := oldUnquote(key)
	if _, ok := oldPersonSchema.fields[k]; !ok {
		return "", false
	}
	return k, true
}

// oldFieldsOf returns the values of the named top-level members of a
// conforming entry object: strings unquoted, true/false as text, "" when
// absent or null.
func oldFieldsOf(entry []byte, names ...string) [3]string {
	var out [3]string
	sc := oldScanner{b: entry}
	_ = sc.object(func(key, val []byte) error {
		k := key[1 : len(key)-1]
		for i, n := range names {
			if string(k) == n {
				switch {
				case len(val) > 0 && val[0] == '"':
					out[i] = oldUnquote(val)
				case string(val) == "true" || string(val) == "false":
					out[i] = string(val)
				}
			}
		}
		return nil
	})
	return out
}

// oldEachEntry calls fn for every element of a JSON array (nothing for null or
// absent); anything else is malformed.
func oldEachEntry(arr []byte, fn func(e []byte) error) error {
	if len(arr) == 0 || string(arr) == "null" {
		return nil
	}
	if arr[0] != '[' {
		return errOldMalformed
	}
	sc := oldScanner{b: arr}
	return sc.array(fn)
}

// --- conformance to freg.Person's model ---

type oldKind uint8

const (
	oldKString oldKind = iota
	oldKBool
	oldKInt
	oldKObject
	oldKArray
)

// oldSchema is the shape freg.Person's JSON encoding can take.
type oldSchema struct {
	oldKind oldKind
	fields  map[string]*oldSchema // oldKObject
	elem    *oldSchema            // oldKArray
	typ     reflect.Type          // the Go type, to pass a nonconforming value through
}

var oldPersonSchema = oldSchemaOf(reflect.TypeFor[freg.Person]())

func oldSchemaOf(t reflect.Type) *oldSchema {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	s := &oldSchema{typ: t}
	switch t.Kind() {
	case reflect.String:
		s.oldKind = oldKString
	case reflect.Bool:
		s.oldKind = oldKBool
	case reflect.Int, reflect.Int64, reflect.Int32:
		s.oldKind = oldKInt
	case reflect.Slice:
		s.oldKind, s.elem = oldKArray, oldSchemaOf(t.Elem())
	case reflect.Struct:
		s.oldKind, s.fields = oldKObject, map[string]*oldSchema{}
		oldAddFields(s.fields, t)
	default:
		panic("reduce: no oldSchema for " + t.String())
	}
	return s
}

// oldAddFields adds t's JSON fields, flattening embedded structs as
// encoding/json does.
func oldAddFields(m map[string]*oldSchema, t reflect.Type) {
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
			oldAddFields(m, f.Type)
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = oldSchemaOf(f.Type)
	}
}

// oldConform returns v if it has exactly the shape of sch; otherwise v passed
// through the typed model (nil if that leaves nothing), or errOldMalformed if
// the typed model cannot read it either.
func oldConform(v []byte, sch *oldSchema) ([]byte, error) {
	if string(v) == "null" {
		return nil, nil
	}
	if oldFits(v, sch) {
		return v, nil
	}
	p := reflect.New(sch.typ)
	if err := json.Unmarshal(v, p.Interface()); err != nil {
		return nil, errOldMalformed
	}
	if sch.oldKind == oldKArray && p.Elem().Len() == 0 {
		return nil, nil
	}
	b, err := json.Marshal(p.Interface())
	if err != nil || !oldFits(b, sch) {
		return nil, errOldMalformed
	}
	return b, nil
}

// oldFits reports whether v (valid JSON) has the shape of sch: only known
// names, each with its oldKind; null only where the model holds a pointer or
// slice is refused too, so that a passed-through value decides.
func oldFits(v []byte, sch *oldSchema) bool {
	if len(v) == 0 {
		return false
	}
	switch sch.oldKind {
	case oldKString:
		return v[0] == '"'
	case oldKBool:
		return string(v) == "true" || string(v) == "false"
	case oldKInt:
		for i, c := range v {
			if !(c >= '0' && c <= '9' || c == '-' && i == 0) {
				return false
			}
		}
		return true
	case oldKArray:
		if v[0] != '[' {
			return false
		}
		sc := oldScanner{b: v}
		return sc.array(func(e []byte) error {
			if !oldFits(e, sch.elem) {
				return errOldMalformed
			}
			return nil
		}) == nil
	case oldKObject:
		if v[0] != '{' {
			return false
		}
		sc := oldScanner{b: v}
		return sc.object(func(key, val []byte) error {
			if bytes.IndexByte(key, '\\') >= 0 {
				return errOldMalformed
			}
			f := sch.fields[string(key[1:len(key)-1])]
			if f == nil || !oldFits(val, f) {
				return errOldMalformed
			}
			return nil
		}) == nil
	}
	return false
}

// --- a oldScanner over JSON already checked valid ---

type oldScanner struct {
	b []byte
	i int
}

func (s *oldScanner) ws() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

func (s *oldScanner) peek() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// value returns the next value and moves past it.
func (s *oldScanner) value() []byte {
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
func (s *oldScanner) str() {
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
func (s *oldScanner) object(fn func(key, val []byte) error) error {
	if s.peek() != '{' {
		return errOldMalformed
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
			return errOldMalformed
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
			return errOldMalformed
		}
	}
}

// array calls fn for every element of the array at s.i.
func (s *oldScanner) array(fn func(e []byte) error) error {
	if s.peek() != '[' {
		return errOldMalformed
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
			return errOldMalformed
		}
	}
}

// oldUnquote returns the text of a JSON string token.
func oldUnquote(tok []byte) string {
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
