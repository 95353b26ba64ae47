package scim

import (
	"testing"

	elimity "github.com/elimity-com/scim"
	elimityfilter "github.com/elimity-com/scim/filter"
)

// FuzzFilter feeds list filters through elimity's parser and validator and
// our conversion to store.Filter. Run: go test -fuzz FuzzFilter ./scim
func FuzzFilter(f *testing.F) {
	for _, s := range []string{
		`userName eq "Test_User_dfeef4c5-5681-4387-b016-bdf221e82081"`,
		`userName eq "non-existent user"`,
		`externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"`,
		`displayName eq "displayName"`,
		`userName eq "a" and externalId eq "b"`,
		`emails[type eq "work" and value co "@x"] or not (active eq false)`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m"`,
		`meta.lastModified gt "2011-05-13T04:42:34Z"`,
		`title pr`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = parseUserFilter(s)
	})
}

// FuzzPatchPath feeds PATCH paths through elimity's path validation and
// applies add, replace and remove with them to a user document. Run:
// go test -fuzz FuzzPatchPath ./scim
func FuzzPatchPath(f *testing.F) {
	for _, s := range []string{
		`emails[type eq "work"].value`,
		`addresses[type eq "work"].streetAddress`,
		`phoneNumbers[type eq "mobile"].value`,
		`name.familyName`,
		`active`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`,
		`members[value eq "7f4bc1a3-285e-48ae-8202-5accb43efb0e"]`,
		`emails[type eq "work" and primary eq true]`,
	} {
		f.Add(s)
	}
	rs := userResourceSchema()
	f.Fuzz(func(t *testing.T, path string) {
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
