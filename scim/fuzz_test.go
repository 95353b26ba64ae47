package scim

import (
	"strings"
	"testing"

	elimity "github.com/elimity-com/scim"
	elimityfilter "github.com/elimity-com/scim/filter"
)

// deepAndLong are seeds past every limit (issue 15): nesting that
// overflowed the parser's stack, and term counts that SQLite refused.
func deepAndLong() []string {
	return []string{
		strings.Repeat("(", 100_000) + `userName eq "x"` + strings.Repeat(")", 100_000),
		strings.Repeat("not (", 1200) + `userName eq "x"` + strings.Repeat(")", 1200),
		strings.Repeat("(", 17) + `title pr` + strings.Repeat(")", 17),
		strings.Repeat(`userName eq "x" or `, 1000) + `title pr`,
		strings.Repeat(`displayName eq "g" and `, 1200) + `title pr`,
		`emails[` + strings.Repeat("(", 50_000) + `type eq "work"` + strings.Repeat(")", 50_000) + `].value`,
		strings.Repeat("[", 20_000),
		strings.Repeat(`"`, 10_001),
		`userName eq "` + strings.Repeat(`\"`, 3000) + `"`,
		strings.Repeat("a", 5000),
	}
}

// FuzzFilter feeds list filters through the limits, the parser and our
// conversion to store.Filter, as GET /Users does. Run:
// go test -fuzz FuzzFilter ./scim
func FuzzFilter(f *testing.F) {
	for _, s := range append(deepAndLong(),
		`userName eq "Test_User_dfeef4c5-5681-4387-b016-bdf221e82081"`,
		`userName eq "non-existent user"`,
		`externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"`,
		`displayName eq "displayName"`,
		`userName eq "a" and externalId eq "b"`,
		`emails[type eq "work" and value co "@x"] or not (active eq false)`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m"`,
		`meta.lastModified gt "2011-05-13T04:42:34Z"`,
		`title pr`,
		`userName eq bjensen`,
		`emails.value co "@oslo" and meta.created ge "2024-01-01T00:00:00Z"`,
	) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = parseUserFilter(s)
	})
}

// FuzzPatchPath feeds PATCH paths through the limits and elimity's path
// validation, as a PATCH does, and applies add, replace and remove with
// them to a user document. Run: go test -fuzz FuzzPatchPath ./scim
func FuzzPatchPath(f *testing.F) {
	for _, s := range append(deepAndLong(),
		`emails[type eq "work"].value`,
		`addresses[type eq "work"].streetAddress`,
		`phoneNumbers[type eq "mobile"].value`,
		`name.familyName`,
		`active`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`,
		`members[value eq "7f4bc1a3-285e-48ae-8202-5accb43efb0e"]`,
		`emails[type eq "work" and primary eq true]`,
		`members[value eq 2819c223]`,
	) {
		f.Add(s)
	}
	rs := userResourceSchema()
	f.Fuzz(func(t *testing.T, path string) {
		path, err := preparePath(path)
		if err != nil {
			return
		}
		v, err := elimityfilter.NewPathValidator(path, rs.core, rs.exts...)
		if err != nil || v.Validate() != nil {
			return
		}
		p := v.Path()
		for _, name := range []string{elimity.PatchOperationAdd, elimity.PatchOperationReplace, elimity.PatchOperationRemove} {
			doc := mustDoc(t, entraUser)
			for _, value := range []any{"x", map[string]any{"value": "x"}, []any{map[string]any{"value": "x"}}, nil} {
				_ = applyOp(rs, doc, elimity.PatchOperation{Op: name, Path: &p, Value: value})
			}
		}
	})
}
