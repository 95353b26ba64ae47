package admin_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"folkevakt/policy/admin"
	"folkevakt/store"
	"folkevakt/store/sqlstore"
)

var ctx = store.WithActor(context.Background(), "test")

func newService(t *testing.T) (*admin.Service, store.Store, store.Organisation) {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), sqlstore.Options{Path: filepath.Join(t.TempDir(), "f.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	svc := admin.New(st, admin.Options{})
	o, err := svc.CreateOrganisation(ctx, "974760673", "Storevik kommune", []string{"4627"})
	if err != nil {
		t.Fatal(err)
	}
	return svc, st, o
}

const head = "version: 1\norganisation: \"974760673\"\nroles:\n"

func role(name, grants string) string {
	return "  - name: " + name + "\n    serviceArea: skole\n    usage: m2m\n    purposes: [search]\n    elements: [navn]\n    gradedAddresses: hide\n" + grants
}

// TestImportErrors: each bad file is refused with the place named, and
// nothing is written.
func TestImportErrors(t *testing.T) {
	svc, st, o := newService(t)
	tn := st.Tenant(o.ID)
	tn.CreateGroup(ctx, store.Group{DisplayName: "Twin"}, nil)
	tn.CreateGroup(ctx, store.Group{DisplayName: "Twin"}, nil)
	tn.CreateGroup(ctx, store.Group{DisplayName: "Skole"}, nil)
	before, _ := tn.ListChanges(ctx, store.ChangeQuery{Count: -1})
	for _, c := range []struct{ name, file, field string }{
		{"ambiguous group", head + role("A", "    grants:\n      - group: Twin\n"), "roles[0].grants[0].group"},
		{"unknown user", head + role("A", "    grants:\n      - user: nobody\n"), "roles[0].grants[0].user"},
		{"two subjects", head + role("A", "    grants:\n      - group: Skole\n        user: x\n"), "roles[0].grants[0]"},
		{"past expiry", head + role("A", "    grants:\n      - group: Skole\n        expiresAt: \"2020-01-01T00:00:00Z\"\n"), "roles[0].grants[0].expiresAt"},
		{"bad expiry", head + role("A", "    grants:\n      - group: Skole\n        expiresAt: tomorrow\n"), "roles[0].grants[0].expiresAt"},
		{"twice listed", head + role("A", "    grants:\n      - group: Skole\n      - group: Skole\n"), "roles[0].grants[1].group"},
		{"duplicate role", head + role("A", "") + role("a", ""), "roles[1].name"},
		{"bad role", head + role("A", "") + strings.Replace(role("B", ""), "skole", "nope", 1), "roles[1].serviceArea"},
		{"other org", strings.Replace(head, "974760673", "964338531", 1) + role("A", ""), "organisation"},
		{"version", strings.Replace(head, "version: 1", "version: 2", 1), "version"},
		{"unknown key", head + role("A", "    colour: red\n"), "file"},
		{"empty", "", "file"},
	} {
		_, err := svc.ImportPolicy(ctx, o.ID, strings.NewReader(c.file), admin.ImportOptions{})
		var ve *store.ValidationError
		if !errors.As(err, &ve) || ve.Field != c.field {
			t.Errorf("%s: got %v, want a validation error on %s", c.name, err, c.field)
		}
	}
	after, _ := tn.ListChanges(ctx, store.ChangeQuery{Count: -1})
	if after.Total != before.Total {
		t.Fatalf("refused imports wrote %d changes", after.Total-before.Total)
	}
}

// TestExportAmbiguousNamesUseIDs: a subject whose name is not unique is
// exported by id, and that file imports back without changes.
func TestExportAmbiguousNamesUseIDs(t *testing.T) {
	svc, st, o := newService(t)
	tn := st.Tenant(o.ID)
	g1, _ := tn.CreateGroup(ctx, store.Group{DisplayName: "Twin"}, nil)
	tn.CreateGroup(ctx, store.Group{DisplayName: "Twin"}, nil)
	u, _ := tn.CreateUser(ctx, store.User{UserName: "kari", Active: true})
	r, err := svc.CreateRole(ctx, o.ID, admin.RoleInput{Name: "A", ServiceArea: "skole", Usage: "m2m", Purposes: []string{"search"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []admin.GrantInput{{Kind: "group", Subject: g1.ID}, {Kind: "user", Subject: u.ID}} {
		if _, err := svc.CreateGrant(ctx, o.ID, r.ID, g); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := svc.ExportPolicy(ctx, o.ID, &buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "group: "+g1.ID) || !strings.Contains(buf.String(), "user: kari") {
		t.Fatalf("export:\n%s", buf.String())
	}
	res, err := svc.ImportPolicy(ctx, o.ID, strings.NewReader(buf.String()), admin.ImportOptions{})
	if err != nil || res.Changes() != 0 || res.Applied {
		t.Fatalf("re-import: %+v, %v", res, err)
	}
}
