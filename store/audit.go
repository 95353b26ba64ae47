package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ChainHash computes the hash of rec chained to prevHash. It covers every
// field except Hash itself, so editing any stored field, or deleting or
// reordering records, breaks the chain. Backends call it on append; audit
// verification calls it again.
//
// The hashed bytes are encoding/json's encoding of the record (with "org"
// first); appendCanonical writes the same bytes without reflection for the
// records the gateway writes on every request, which keeps hashing off the
// request path's profile.
func ChainHash(prevHash string, rec AuditRecord) string {
	canonical := rec
	canonical.PrevHash = prevHash
	canonical.Hash = ""
	canonical.Time = rec.Time.UTC().Truncate(time.Microsecond)
	buf := make([]byte, 0, 2048) // a lookup's record is about 1.4 kB
	buf = append(buf, prevHash...)
	if b, ok := appendCanonical(buf, rec.OrgID, &canonical); ok {
		buf = b
	} else {
		buf = append(buf[:len(prevHash)], canonicalJSON(rec.OrgID, canonical)...)
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])
}

// canonicalJSON is the reference encoding of the hashed bytes.
func canonicalJSON(org string, canonical AuditRecord) []byte {
	b, _ := json.Marshal(struct {
		Org string `json:"org"`
		AuditRecord
	}{org, canonical})
	return b
}

// appendCanonical appends exactly what canonicalJSON returns, or reports
// false when rec holds something whose encoding it does not reproduce
// (criteria, strings encoding/json escapes, years outside 0–9999); the
// caller then takes the reference path.
func appendCanonical(b []byte, org string, r *AuditRecord) ([]byte, bool) {
	if len(r.Criteria) > 0 || r.Time.Year() < 0 || r.Time.Year() > 9999 {
		return nil, false
	}
	ok := true
	str := func(name, v string, omitEmpty bool) {
		if omitEmpty && v == "" {
			return
		}
		if !PlainJSONString(v) {
			ok = false
		}
		b = append(b, ',', '"')
		b = append(b, name...)
		b = append(b, '"', ':', '"')
		b = append(b, v...)
		b = append(b, '"')
	}
	list := func(name string, l []string) {
		if len(l) == 0 {
			return
		}
		b = append(b, ',', '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		var lok bool
		if b, lok = AppendPlainJSONList(b, l); !lok {
			ok = false
		}
	}
	b = append(b, `{"org":"`...)
	if !PlainJSONString(org) {
		return nil, false
	}
	b = append(b, org...)
	b = append(b, `","seq":`...)
	b = strconv.AppendInt(b, r.Seq, 10)
	b = append(b, `,"time":"`...)
	b = r.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	str("requestId", r.RequestID, false)
	str("subjectKind", r.SubjectKind, false)
	str("subjectId", r.SubjectID, false)
	str("subjectName", r.SubjectName, true)
	str("roleId", r.RoleID, true)
	str("serviceArea", r.ServiceArea, true)
	list("legalBasis", r.LegalBasis)
	str("purpose", r.Purpose, true)
	str("action", r.Action, false)
	list("persons", r.Persons)
	list("elements", r.Elements)
	b = append(b, `,"gradedRevealed":`...)
	b = strconv.AppendBool(b, r.GradedRevealed)
	str("decision", r.Decision, false)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(r.Status), 10)
	str("reason", r.Reason, true)
	str("prevHash", r.PrevHash, false)
	str("hash", r.Hash, false)
	b = append(b, '}')
	return b, ok
}

// PlainJSONString reports whether encoding/json writes s as its bytes in
// quotes: valid UTF-8 without control characters, quotes, backslashes, the
// HTML characters it escapes (<, >, &) or U+2028/U+2029.
func PlainJSONString(s string) bool {
	ascii := true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return ascii || utf8.ValidString(s) && !strings.ContainsRune(s, '\u2028') && !strings.ContainsRune(s, '\u2029')
}

// AppendPlainJSONList appends the JSON array of l as encoding/json writes
// it, or reports false if an element is not a PlainJSONString.
func AppendPlainJSONList(b []byte, l []string) ([]byte, bool) {
	if l == nil {
		return append(b, "null"...), true
	}
	b = append(b, '[')
	for i, v := range l {
		if !PlainJSONString(v) {
			return b, false
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, v...)
		b = append(b, '"')
	}
	return append(b, ']'), true
}
