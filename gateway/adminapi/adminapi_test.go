package adminapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"folkevakt/gateway"
	"folkevakt/gateway/adminapi"
	"folkevakt/policy"
	"folkevakt/policy/admin"
	"folkevakt/policy/secret"
	"folkevakt/store"
	"folkevakt/store/sqlstore"
)

type orgFix struct {
	org   store.Organisation
	token string
	scim  string
	tn    store.Tenant
}

type fixture struct {
	t      *testing.T
	st     *sqlstore.Store
	svc    *admin.Service
	engine *policy.Engine
	srv    *httptest.Server
	a, b   orgFix
	logs   *bytes.Buffer
}

var bg = store.WithActor(context.Background(), "test")

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), sqlstore.Options{Path: filepath.Join(t.TempDir(), "folkevakt.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	model, err := os.ReadFile("../../model.conf")
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	svc := admin.New(st, admin.Options{Logger: logger})
	f := &fixture{t: t, st: st, svc: svc, logs: logs}
	f.a = f.newOrg("974760673", "Storevik kommune")
	f.b = f.newOrg("964338531", "Nordvik kommune")
	f.engine, err = policy.New(context.Background(), policy.Options{Model: string(model), Store: st, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	h := gateway.New(gateway.Options{Logger: logger, Store: st, Policy: f.engine,
		Mounts: []func(*gin.Engine){adminapi.Mount(svc, f.engine, secret.NewTokenAuthenticator(st), logger)}})
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) newOrg(number, name string) orgFix {
	o, err := f.svc.CreateOrganisation(bg, number, name, []string{"4627"})
	if err != nil {
		f.t.Fatal(err)
	}
	tok, _, err := f.svc.CreateToken(bg, o.ID, store.TokenAdmin, "officer")
	if err != nil {
		f.t.Fatal(err)
	}
	scim, _, err := f.svc.CreateToken(bg, o.ID, store.TokenSCIM, "entra")
	if err != nil {
		f.t.Fatal(err)
	}
	return orgFix{org: o, token: tok, scim: scim, tn: f.st.Tenant(o.ID)}
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r resp) obj(t *testing.T) map[string]any {
	var m map[string]any
	r.json(t, &m)
	return m
}

// do sends body (a string is sent as is, anything else as JSON).
func (f *fixture) do(token, method, path string, body any) resp {
	return f.doCT(token, method, path, body, "application/json")
}

func (f *fixture) doCT(token, method, path string, body any, ct string) resp {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, f.srv.URL+adminapi.Base+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if rd != nil && ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, b}
}

// expect checks the status and, for errors, the error body shape.
func expect(t *testing.T, what string, r resp, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d; body %s", what, r.status, status, r.body)
	}
	if status >= 400 {
		var e struct{ Error, Message string }
		if err := json.Unmarshal(r.body, &e); err != nil || e.Error == "" || e.Message == "" {
			t.Fatalf("%s: error body %s is not {error, message}", what, r.body)
		}
	}
}

// expectField checks a 400 that names field.
func expectField(t *testing.T, what string, r resp, field string) {
	t.Helper()
	expect(t, what, r, http.StatusBadRequest)
	m := r.obj(t)
	if m["field"] != field || !strings.Contains(m["message"].(string), field) {
		t.Fatalf("%s: want field %q named, got %s", what, field, r.body)
	}
}

func (f *fixture) changeCount(tn store.Tenant) int {
	f.t.Helper()
	p, err := tn.ListChanges(bg, store.ChangeQuery{Count: -1})
	if err != nil {
		f.t.Fatal(err)
	}
	return p.Total
}

var skoleRole = map[string]any{
	"name": "Skolesekretær", "description": "Oppslag for skolekontoret", "serviceArea": "skole", "usage": "web+m2m",
	"purposes": []string{"search", "search"}, "elements": []string{"navn", "familierelasjon", "navn", "bostedsadresse"},
	"gradedAddresses": "hide",
}

func (f *fixture) createRole(o orgFix, body map[string]any) store.Role {
	f.t.Helper()
	r := f.do(o.token, "POST", "/roles", body)
	expect(f.t, "create role", r, http.StatusCreated)
	var role store.Role
	r.json(f.t, &role)
	return role
}

func TestCatalogue(t *testing.T) {
	f := newFixture(t)
	r := f.do(f.a.token, "GET", "/service-areas", nil)
	expect(t, "service areas", r, 200)
	var areas []store.ServiceArea
	r.json(t, &areas)
	if len(areas) != len(store.BuiltinServiceAreas()) {
		t.Fatalf("got %d service areas", len(areas))
	}
	for _, a := range areas {
		if a.ID == "stotte" && (a.ConfidentialAllowed || len(a.LegalBasis) == 0 || !strings.Contains(a.LegalBasis[0], "§ 10-1")) {
			t.Fatalf("stotte = %+v", a)
		}
	}
	r = f.do(f.a.token, "GET", "/elements", nil)
	expect(t, "elements", r, 200)
	var els []struct {
		Name, Part   string
		Confidential bool
	}
	r.json(t, &els)
	i := slices.IndexFunc(els, func(e struct {
		Name, Part   string
		Confidential bool
	}) bool {
		return e.Name == "familierelasjon"
	})
	if i < 0 || !els[i].Confidential || els[i].Part != "relasjon-utvidet" {
		t.Fatalf("familierelasjon missing or wrong: %s", r.body)
	}
}

func TestAuthentication(t *testing.T) {
	f := newFixture(t)
	r := f.do("", "GET", "/roles", nil)
	expect(t, "no token", r, http.StatusUnauthorized)
	if r.header.Get("WWW-Authenticate") == "" {
		t.Fatal("401 without WWW-Authenticate")
	}
	expect(t, "unknown token", f.do("fvadmin_nope", "GET", "/roles", nil), http.StatusUnauthorized)
	expect(t, "scim token", f.do(f.a.scim, "GET", "/roles", nil), http.StatusForbidden)
	if strings.Contains(f.logs.String(), f.a.scim) || strings.Contains(f.logs.String(), f.a.token) {
		t.Fatal("a token reached the log")
	}
}

func TestRoleLifecycle(t *testing.T) {
	f := newFixture(t)
	r := f.do(f.a.token, "POST", "/roles", skoleRole)
	expect(t, "create", r, http.StatusCreated)
	var role store.Role
	r.json(t, &role)
	if r.header.Get("Location") != adminapi.Base+"/roles/"+role.ID || len(role.ID) != 36 {
		t.Fatalf("Location %q for id %q", r.header.Get("Location"), role.ID)
	}
	want := []string{"identifikasjonsnummer", "navn", "bostedsadresse", "familierelasjon"}
	if !slices.Equal(role.Elements, want) || !slices.Equal(role.Purposes, []string{"search"}) {
		t.Fatalf("elements %v purposes %v", role.Elements, role.Purposes)
	}
	var got store.Role
	r = f.do(f.a.token, "GET", "/roles/"+role.ID, nil)
	expect(t, "get", r, 200)
	r.json(t, &got)
	if got.Name != "Skolesekretær" || got.ServiceAreaID != "skole" || got.GradedAddresses != "hide" {
		t.Fatalf("get = %+v", got)
	}
	expect(t, "duplicate name", f.do(f.a.token, "POST", "/roles", map[string]any{"name": "skolesekretær", "serviceArea": "stotte",
		"usage": "m2m", "purposes": []string{"search"}}), http.StatusConflict)

	put := map[string]any{"name": "Skolesekretær", "serviceArea": "skole", "usage": "m2m",
		"purposes": []string{"events", "search"}, "elements": []string{"kjoenn"}, "gradedAddresses": "show"}
	r = f.do(f.a.token, "PUT", "/roles/"+role.ID, put)
	expect(t, "put", r, 200)
	r.json(t, &got)
	if !slices.Equal(got.Elements, []string{"identifikasjonsnummer", "kjoenn"}) || !slices.Equal(got.Purposes, []string{"search", "events"}) ||
		got.Usage != "m2m" || got.GradedAddresses != "show" || got.Description != "" {
		t.Fatalf("put = %+v", got)
	}
	expect(t, "put unknown", f.do(f.a.token, "PUT", "/roles/00000000-0000-4000-8000-000000000000", put), 404)

	u, _ := f.a.tn.CreateUser(bg, store.User{UserName: "kari@storevik.no", Active: true})
	expect(t, "grant", f.do(f.a.token, "POST", "/roles/"+role.ID+"/grants", map[string]any{"kind": "user", "subject": u.ID}), 201)
	r = f.do(f.a.token, "POST", "/roles/"+role.ID+"/copy", map[string]any{"name": "Skolesekretær vikar"})
	expect(t, "copy", r, http.StatusCreated)
	var cp store.Role
	r.json(t, &cp)
	if cp.ID == role.ID || cp.Name != "Skolesekretær vikar" || !slices.Equal(cp.Elements, got.Elements) || cp.GradedAddresses != "show" {
		t.Fatalf("copy = %+v", cp)
	}
	r = f.do(f.a.token, "GET", "/roles/"+cp.ID+"/grants", nil)
	expect(t, "copy grants", r, 200)
	if string(r.body) != "[]" {
		t.Fatalf("copy has grants: %s", r.body)
	}
	expectField(t, "copy without name", f.do(f.a.token, "POST", "/roles/"+role.ID+"/copy", map[string]any{}), "name")
	expect(t, "copy unknown", f.do(f.a.token, "POST", "/roles/nope/copy", map[string]any{"name": "x"}), 404)

	r = f.do(f.a.token, "GET", "/roles", nil)
	var list []store.Role
	r.json(t, &list)
	if len(list) != 2 {
		t.Fatalf("list = %d roles", len(list))
	}
	expect(t, "delete", f.do(f.a.token, "DELETE", "/roles/"+role.ID, nil), http.StatusNoContent)
	expect(t, "get deleted", f.do(f.a.token, "GET", "/roles/"+role.ID, nil), 404)
	expect(t, "delete again", f.do(f.a.token, "DELETE", "/roles/"+role.ID, nil), 404)
	if gs, _ := f.a.tn.ListGrants(bg, store.GrantQuery{RoleID: role.ID}); len(gs) != 0 {
		t.Fatal("grants survived their role")
	}
	// Every change is recorded with the token's actor.
	p, _ := f.a.tn.ListChanges(bg, store.ChangeQuery{Actor: "admin:officer", Entity: store.EntityRole, Count: 100})
	if p.Total != 4 { // create, update, copy, delete
		t.Fatalf("role changes by admin:officer = %d", p.Total)
	}
}

func TestRoleValidation(t *testing.T) {
	f := newFixture(t)
	base := func(mod func(m map[string]any)) map[string]any {
		m := map[string]any{"name": "R", "serviceArea": "skole", "usage": "m2m", "purposes": []string{"search"},
			"elements": []string{"navn"}, "gradedAddresses": "hide"}
		mod(m)
		return m
	}
	cases := []struct {
		name  string
		body  map[string]any
		field string
		says  string
	}{
		{"empty name", base(func(m map[string]any) { m["name"] = "  " }), "name", "empty"},
		{"unknown service area", base(func(m map[string]any) { m["serviceArea"] = "parkering" }), "serviceArea", "parkering"},
		{"no service area", base(func(m map[string]any) { delete(m, "serviceArea") }), "serviceArea", "empty"},
		{"bad usage", base(func(m map[string]any) { m["usage"] = "web" }), "usage", "web+m2m"},
		{"no purpose", base(func(m map[string]any) { m["purposes"] = []string{} }), "purposes", "at least one"},
		{"unknown purpose", base(func(m map[string]any) { m["purposes"] = []string{"search", "fun"} }), "purposes", "fun"},
		{"unknown element", base(func(m map[string]any) { m["elements"] = []string{"navn", "skostoerrelse"} }), "elements", "skostoerrelse"},
		{"confidential in stotte", base(func(m map[string]any) {
			m["serviceArea"] = "stotte"
			m["elements"] = []string{"navn", "familierelasjon"}
		}), "elements", "familierelasjon"},
		{"bad graded", base(func(m map[string]any) { m["gradedAddresses"] = "maybe" }), "gradedAddresses", "hide"},
		{"show in stotte", base(func(m map[string]any) {
			m["serviceArea"] = "stotte"
			m["gradedAddresses"] = "show"
		}), "gradedAddresses", "Støttetjenester"},
		{"long name", base(func(m map[string]any) { m["name"] = strings.Repeat("x", 201) }), "name", "200"},
	}
	good := f.createRole(f.a, base(func(map[string]any) {}))
	before := f.changeCount(f.a.tn)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.do(f.a.token, "POST", "/roles", c.body)
			expectField(t, "create", r, c.field)
			if !strings.Contains(string(r.body), c.says) {
				t.Fatalf("message does not mention %q: %s", c.says, r.body)
			}
			expectField(t, "put", f.do(f.a.token, "PUT", "/roles/"+good.ID, c.body), c.field)
		})
	}
	if strings.Contains(f.do(f.a.token, "POST", "/roles", cases[7].body).obj(t)["message"].(string), "Støttetjenester") == false {
		t.Fatal("confidential message does not name the area")
	}
	if n := f.changeCount(f.a.tn); n != before {
		t.Fatalf("invalid roles wrote %d changes", n-before)
	}
	roles, _ := f.a.tn.ListRoles(bg)
	if len(roles) != 1 {
		t.Fatalf("%d roles stored", len(roles))
	}
}

func TestBodyErrors(t *testing.T) {
	f := newFixture(t)
	before := f.changeCount(f.a.tn)
	expect(t, "malformed", f.do(f.a.token, "POST", "/roles", `{"name": "x",`), http.StatusBadRequest)
	expect(t, "empty", f.do(f.a.token, "POST", "/roles", ``), http.StatusBadRequest)
	r := f.do(f.a.token, "POST", "/roles", `{"name":"x","colour":"red"}`)
	expectField(t, "unknown field", r, "colour")
	expectField(t, "wrong type", f.do(f.a.token, "POST", "/roles", `{"name":"x","purposes":"search"}`), "purposes")
	expect(t, "trailing", f.do(f.a.token, "POST", "/roles", `{"name":"x"} {}`), http.StatusBadRequest)
	expect(t, "text/plain", f.doCT(f.a.token, "POST", "/roles", `{}`, "text/plain"), http.StatusUnsupportedMediaType)
	expect(t, "no content type", f.doCT(f.a.token, "POST", "/integrations", `{}`, ""), http.StatusUnsupportedMediaType)
	big := `{"name":"x","description":"` + strings.Repeat("a", adminapi.MaxBody) + `"}`
	expect(t, "too large", f.do(f.a.token, "POST", "/roles", big), http.StatusRequestEntityTooLarge)
	expect(t, "charset ok but bad", f.doCT(f.a.token, "POST", "/roles", `{}`, "application/json; charset=utf-8"), http.StatusBadRequest)
	if n := f.changeCount(f.a.tn); n != before {
		t.Fatalf("bad bodies wrote %d changes", n-before)
	}
}

func TestIntegrations(t *testing.T) {
	f := newFixture(t)
	r := f.do(f.a.token, "POST", "/integrations", map[string]any{"name": "Visma Flyt Skole", "orgNumber": "974760673", "description": "Skolesystem"})
	expect(t, "create", r, http.StatusCreated)
	var created struct {
		ID, Name, OrgNumber, Password string
	}
	r.json(t, &created)
	if r.header.Get("Location") != adminapi.Base+"/integrations/"+created.ID || len(created.Password) < 43 {
		t.Fatalf("created %+v, Location %q", created, r.header.Get("Location"))
	}
	stored, err := f.a.tn.GetIntegration(bg, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored.PasswordHash, "$argon2id$") || strings.Contains(stored.PasswordHash, created.Password) {
		t.Fatal("password not stored as argon2id")
	}
	if ok, _ := secret.Verify(stored.PasswordHash, created.Password); !ok {
		t.Fatal("returned password does not verify")
	}
	for _, path := range []string{"/integrations", "/integrations/" + created.ID} {
		r = f.do(f.a.token, "GET", path, nil)
		expect(t, path, r, 200)
		if strings.Contains(string(r.body), created.Password) || strings.Contains(string(r.body), "argon2") || strings.Contains(string(r.body), "password\"") {
			t.Fatalf("%s shows a secret: %s", path, r.body)
		}
	}
	r = f.do(f.a.token, "POST", "/integrations/"+created.ID+"/password", nil)
	expect(t, "rotate", r, 200)
	var rotated struct{ ID, Password string }
	r.json(t, &rotated)
	stored, _ = f.a.tn.GetIntegration(bg, created.ID)
	if ok, _ := secret.Verify(stored.PasswordHash, created.Password); ok || rotated.Password == created.Password {
		t.Fatal("old password still works after rotation")
	}
	if ok, _ := secret.Verify(stored.PasswordHash, rotated.Password); !ok {
		t.Fatal("new password does not verify")
	}
	if strings.Contains(f.logs.String(), rotated.Password) || strings.Contains(f.logs.String(), created.Password) {
		t.Fatal("a password reached the log")
	}
	before := f.changeCount(f.a.tn)
	expectField(t, "bad org number", f.do(f.a.token, "POST", "/integrations", map[string]any{"name": "X", "orgNumber": "974760674"}), "orgNumber")
	expectField(t, "short org number", f.do(f.a.token, "POST", "/integrations", map[string]any{"name": "X", "orgNumber": "1234"}), "orgNumber")
	expectField(t, "no name", f.do(f.a.token, "POST", "/integrations", map[string]any{"orgNumber": "974760673"}), "name")
	if n := f.changeCount(f.a.tn); n != before {
		t.Fatal("invalid integrations wrote changes")
	}
	expect(t, "rotate unknown", f.do(f.a.token, "POST", "/integrations/nope/password", nil), 404)
	expect(t, "get unknown", f.do(f.a.token, "GET", "/integrations/nope", nil), 404)
	expect(t, "delete", f.do(f.a.token, "DELETE", "/integrations/"+created.ID, nil), http.StatusNoContent)
	expect(t, "delete again", f.do(f.a.token, "DELETE", "/integrations/"+created.ID, nil), 404)
}

func TestGrantsTakeEffect(t *testing.T) {
	f := newFixture(t)
	role := f.createRole(f.a, skoleRole)
	u, _ := f.a.tn.CreateUser(bg, store.User{UserName: "kari@storevik.no", Active: true})
	g, _ := f.a.tn.CreateGroup(bg, store.Group{DisplayName: "Skolekontoret"}, []string{u.ID})
	q := policy.Query{Subject: policy.Subject{Kind: "user", ID: u.ID}, RoleID: role.ID, Purpose: "search",
		Elements: []string{"identifikasjonsnummer", "navn", "bostedsadresse", "familierelasjon"}}
	if f.engine.Decide(f.a.org.ID, q).Allowed {
		t.Fatal("allowed before any grant")
	}
	r := f.do(f.a.token, "POST", "/roles/"+role.ID+"/grants", map[string]any{"kind": "group", "subject": g.ID})
	returned := time.Now()
	expect(t, "grant", r, http.StatusCreated)
	d := f.engine.Decide(f.a.org.ID, q)
	took := time.Since(returned)
	if !d.Allowed {
		t.Fatalf("grant did not take effect: %+v", d)
	}
	t.Logf("grant effective %v after the API call returned", took)
	if took > 100*time.Millisecond {
		t.Fatalf("grant took effect after %v", took)
	}
	var grant store.Grant
	r.json(t, &grant)
	if r.header.Get("Location") != adminapi.Base+"/roles/"+role.ID+"/grants/"+grant.ID || grant.CreatedBy != "admin:officer" {
		t.Fatalf("grant %+v, Location %q", grant, r.header.Get("Location"))
	}
	expect(t, "duplicate", f.do(f.a.token, "POST", "/roles/"+role.ID+"/grants", map[string]any{"kind": "group", "subject": g.ID}), http.StatusConflict)

	r = f.do(f.a.token, "GET", "/roles/"+role.ID+"/grants", nil)
	var gs []store.Grant
	r.json(t, &gs)
	if len(gs) != 1 || gs[0].ID != grant.ID {
		t.Fatalf("list grants = %s", r.body)
	}
	expect(t, "revoke", f.do(f.a.token, "DELETE", "/roles/"+role.ID+"/grants/"+grant.ID, nil), http.StatusNoContent)
	if f.engine.Decide(f.a.org.ID, q).Allowed {
		t.Fatal("revocation did not take effect at once")
	}
	expect(t, "revoke again", f.do(f.a.token, "DELETE", "/roles/"+role.ID+"/grants/"+grant.ID, nil), 404)

	// Expiring grants to a user and an integration.
	exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	expect(t, "user grant", f.do(f.a.token, "POST", "/roles/"+role.ID+"/grants", map[string]any{"kind": "user", "subject": u.ID, "expiresAt": exp}), 201)
	in, err := f.svc.CreateIntegration(bg, f.a.org.ID, admin.IntegrationInput{Name: "Fagsystem", OrgNumber: "974760673"})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "integration grant", f.do(f.a.token, "POST", "/roles/"+role.ID+"/grants", map[string]any{"kind": "integration", "subject": in.ID}), 201)
	if !f.engine.Decide(f.a.org.ID, q).Allowed {
		t.Fatal("expiring user grant not effective")
	}

	before := f.changeCount(f.a.tn)
	bad := []struct {
		name  string
		body  any
		field string
	}{
		{"bad kind", map[string]any{"kind": "robot", "subject": u.ID}, "kind"},
		{"unknown user", map[string]any{"kind": "user", "subject": "nope"}, "subject"},
		{"group id as user", map[string]any{"kind": "user", "subject": g.ID}, "subject"},
		{"empty subject", map[string]any{"kind": "group"}, "subject"},
		{"past expiry", map[string]any{"kind": "group", "subject": g.ID, "expiresAt": "2020-01-01T00:00:00Z"}, "expiresAt"},
	}
	for _, c := range bad {
		expectField(t, c.name, f.do(f.a.token, "POST", "/roles/"+role.ID+"/grants", c.body), c.field)
	}
	expect(t, "bad time", f.do(f.a.token, "POST", "/roles/"+role.ID+"/grants", `{"kind":"group","subject":"x","expiresAt":"tomorrow"}`), 400)
	expect(t, "unknown role", f.do(f.a.token, "POST", "/roles/nope/grants", map[string]any{"kind": "group", "subject": g.ID}), 404)
	expect(t, "list unknown role", f.do(f.a.token, "GET", "/roles/nope/grants", nil), 404)
	if n := f.changeCount(f.a.tn); n != before {
		t.Fatal("bad grants wrote changes")
	}
	// A grant id under the wrong role is not found.
	other := f.createRole(f.a, map[string]any{"name": "Other", "serviceArea": "hr", "usage": "m2m", "purposes": []string{"search"}})
	gs, _ = f.a.tn.ListGrants(bg, store.GrantQuery{RoleID: role.ID})
	expect(t, "grant under other role", f.do(f.a.token, "DELETE", "/roles/"+other.ID+"/grants/"+gs[0].ID, nil), 404)
}

func TestExplain(t *testing.T) {
	f := newFixture(t)
	role := f.createRole(f.a, skoleRole)
	u, _ := f.a.tn.CreateUser(bg, store.User{UserName: "ola", Active: true})
	g, _ := f.a.tn.CreateGroup(bg, store.Group{DisplayName: "Skole"}, []string{u.ID})
	if _, err := f.svc.CreateGrant(bg, f.a.org.ID, role.ID, admin.GrantInput{Kind: "group", Subject: g.ID}); err != nil {
		t.Fatal(err)
	}
	r := f.do(f.a.token, "GET", "/explain?subject=user:"+u.ID+"&role="+role.ID+"&purpose=search&element=navn&element=familierelasjon", nil)
	expect(t, "explain allow", r, 200)
	var x policy.Explanation
	r.json(t, &x)
	if !x.Allowed || !slices.ContainsFunc(x.Steps, func(s policy.Step) bool { return s.Rule == "grant" && s.Via == "group:"+g.ID }) {
		t.Fatalf("explain allow = %s", r.body)
	}
	r = f.do(f.a.token, "GET", "/explain?subject=user:"+u.ID+"&role="+role.ID+"&purpose=events&element=navn,kjoenn", nil)
	expect(t, "explain deny", r, 200)
	r.json(t, &x)
	if x.Allowed || x.Reason != policy.ReasonPurpose || !slices.Equal(x.Elements, []string{"navn", "kjoenn"}) {
		t.Fatalf("explain deny = %s", r.body)
	}
	expectField(t, "bad subject", f.do(f.a.token, "GET", "/explain?subject=robot:1&role="+role.ID, nil), "subject")
	expectField(t, "no role", f.do(f.a.token, "GET", "/explain?subject=user:"+u.ID, nil), "role")
	expectField(t, "bad purpose", f.do(f.a.token, "GET", "/explain?subject=user:"+u.ID+"&role="+role.ID+"&purpose=fun", nil), "purpose")
	expectField(t, "bad element", f.do(f.a.token, "GET", "/explain?subject=user:"+u.ID+"&role="+role.ID+"&element=sko", nil), "element")
	expect(t, "unknown role", f.do(f.a.token, "GET", "/explain?subject=user:"+u.ID+"&role=nope", nil), 404)
}

func TestAuditAndChanges(t *testing.T) {
	f := newFixture(t)
	role := f.createRole(f.a, skoleRole)
	t0 := time.Now().UTC().Add(-time.Hour)
	var recs []store.AuditRecord
	for i := 0; i < 5; i++ {
		recs = append(recs, store.AuditRecord{OrgID: f.a.org.ID, Time: t0.Add(time.Duration(i) * time.Minute), RequestID: "r",
			SubjectKind: "user", SubjectID: "u" + string(rune('0'+i%2)), RoleID: role.ID, Action: "person",
			Persons: []string{"0101" + "2012345"[:7]}, Decision: store.DecisionAllow, Status: 200})
	}
	recs = append(recs, store.AuditRecord{OrgID: f.b.org.ID, Time: t0, RequestID: "r", SubjectKind: "user", SubjectID: "u0",
		Action: "person", Decision: store.DecisionDeny, Status: 403})
	if _, err := f.st.AppendAudit(bg, recs); err != nil {
		t.Fatal(err)
	}
	type auditPage struct {
		Total, StartIndex, Count int
		Items                    []store.AuditRecord
	}
	var p auditPage
	r := f.do(f.a.token, "GET", "/audit?subject=u0&count=2", nil)
	expect(t, "audit", r, 200)
	r.json(t, &p)
	if p.Total != 3 || p.Count != 2 || len(p.Items) != 2 || p.StartIndex != 1 {
		t.Fatalf("audit page = %s", r.body)
	}
	r = f.do(f.a.token, "GET", "/audit?subject=u0&count=2&startIndex=3", nil)
	r.json(t, &p)
	if p.Total != 3 || len(p.Items) != 1 {
		t.Fatalf("audit page 2 = %s", r.body)
	}
	r = f.do(f.a.token, "GET", "/audit?role="+role.ID+"&from="+t0.Add(90*time.Second).Format(time.RFC3339)+"&to="+t0.Add(10*time.Minute).Format(time.RFC3339), nil)
	r.json(t, &p)
	if p.Total != 3 {
		t.Fatalf("audit by time = %s", r.body)
	}
	r = f.do(f.a.token, "GET", "/audit?person=01012012345", nil)
	r.json(t, &p)
	if p.Total != 5 {
		t.Fatalf("audit by person = %d", p.Total)
	}
	r = f.do(f.b.token, "GET", "/audit", nil)
	r.json(t, &p)
	if p.Total != 1 || p.Items[0].Decision != store.DecisionDeny {
		t.Fatalf("org B sees %s", r.body)
	}
	// Reading the log is audited (issue 12): the person query above is now
	// in the person's own trail, with who asked.
	r = f.do(f.a.token, "GET", "/audit?person=01012012345", nil)
	r.json(t, &p)
	found := false
	for _, it := range p.Items {
		found = found || (it.Action == "audit-query" && it.SubjectID == "admin:officer" && len(it.Persons) == 1)
	}
	if p.Total != 6 || !found {
		t.Fatalf("the audit read is not audited: %s", r.body)
	}
	expectField(t, "bad from", f.do(f.a.token, "GET", "/audit?from=yesterday", nil), "from")
	expectField(t, "bad count", f.do(f.a.token, "GET", "/audit?count=x", nil), "count")
	expectField(t, "huge count", f.do(f.a.token, "GET", "/audit?count=100000", nil), "count")
	expectField(t, "bad person", f.do(f.a.token, "GET", "/audit?person=abc", nil), "person")
	expectField(t, "to before from", f.do(f.a.token, "GET", "/audit?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", nil), "to")

	var cp struct {
		Total int
		Items []store.Change
	}
	r = f.do(f.a.token, "GET", "/changes?entity=role&count=10", nil)
	expect(t, "changes", r, 200)
	r.json(t, &cp)
	if cp.Total != 1 || cp.Items[0].Actor != "admin:officer" || cp.Items[0].Action != "create" || len(cp.Items[0].After) == 0 {
		t.Fatalf("changes = %s", r.body)
	}
	r = f.do(f.b.token, "GET", "/changes?entity=role", nil)
	r.json(t, &cp)
	if cp.Total != 0 {
		t.Fatalf("org B sees A's changes: %s", r.body)
	}
	expectField(t, "bad changes paging", f.do(f.a.token, "GET", "/changes?startIndex=-1", nil), "startIndex")
}

// TestIsolation: org B's token never sees or changes org A's rows.
func TestIsolation(t *testing.T) {
	f := newFixture(t)
	role := f.createRole(f.a, skoleRole)
	u, _ := f.a.tn.CreateUser(bg, store.User{UserName: "kari", Active: true})
	g, _ := f.a.tn.CreateGroup(bg, store.Group{DisplayName: "Skole"}, nil)
	in, _ := f.svc.CreateIntegration(bg, f.a.org.ID, admin.IntegrationInput{Name: "Fag", OrgNumber: "974760673"})
	grant, err := f.svc.CreateGrant(bg, f.a.org.ID, role.ID, admin.GrantInput{Kind: "user", Subject: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	bRole := f.createRole(f.b, map[string]any{"name": "B", "serviceArea": "skole", "usage": "m2m", "purposes": []string{"search"}})
	before := f.changeCount(f.a.tn)
	tok := f.b.token
	for _, c := range []struct {
		method, path string
		body         any
		status       int
	}{
		{"GET", "/roles/" + role.ID, nil, 404},
		{"PUT", "/roles/" + role.ID, skoleRole, 404},
		{"DELETE", "/roles/" + role.ID, nil, 404},
		{"POST", "/roles/" + role.ID + "/copy", map[string]any{"name": "stolen"}, 404},
		{"GET", "/roles/" + role.ID + "/grants", nil, 404},
		{"POST", "/roles/" + role.ID + "/grants", map[string]any{"kind": "group", "subject": g.ID}, 404},
		{"DELETE", "/roles/" + role.ID + "/grants/" + grant.ID, nil, 404},
		{"DELETE", "/roles/" + bRole.ID + "/grants/" + grant.ID, nil, 404},
		{"POST", "/roles/" + bRole.ID + "/grants", map[string]any{"kind": "user", "subject": u.ID}, 400},
		{"POST", "/roles/" + bRole.ID + "/grants", map[string]any{"kind": "group", "subject": g.ID}, 400},
		{"POST", "/roles/" + bRole.ID + "/grants", map[string]any{"kind": "integration", "subject": in.ID}, 400},
		{"GET", "/integrations/" + in.ID, nil, 404},
		{"DELETE", "/integrations/" + in.ID, nil, 404},
		{"POST", "/integrations/" + in.ID + "/password", nil, 404},
		{"GET", "/explain?subject=user:" + u.ID + "&role=" + role.ID, nil, 404},
	} {
		expect(t, c.method+" "+c.path, f.do(tok, c.method, c.path, c.body), c.status)
	}
	for _, path := range []string{"/roles", "/integrations", "/changes?count=1000", "/audit"} {
		r := f.do(tok, "GET", path, nil)
		expect(t, path, r, 200)
		for _, id := range []string{role.ID, in.ID, u.ID, g.ID, grant.ID} {
			if strings.Contains(string(r.body), id) {
				t.Fatalf("org B's %s shows org A's %s", path, id)
			}
		}
	}
	if n := f.changeCount(f.a.tn); n != before {
		t.Fatalf("org B changed org A's rows (%d changes)", n-before)
	}
	if _, err := f.a.tn.GetIntegration(bg, in.ID); err != nil {
		t.Fatal("org A's integration is gone")
	}
}

func TestPolicyOverAPI(t *testing.T) {
	f := newFixture(t)
	role := f.createRole(f.a, skoleRole)
	g, _ := f.a.tn.CreateGroup(bg, store.Group{DisplayName: "Skolekontoret"}, nil)
	if _, err := f.svc.CreateGrant(bg, f.a.org.ID, role.ID, admin.GrantInput{Kind: "group", Subject: g.ID}); err != nil {
		t.Fatal(err)
	}
	r := f.do(f.a.token, "GET", "/policy", nil)
	expect(t, "export", r, 200)
	if !strings.Contains(string(r.body), "group: Skolekontoret") || !strings.HasPrefix(r.header.Get("Content-Type"), "application/yaml") {
		t.Fatalf("export = %s", r.body)
	}
	edited := strings.Replace(string(r.body), "Oppslag for skolekontoret", "Oppslag for skolekontoret og SFO", 1)
	before := f.changeCount(f.a.tn)
	r = f.doCT(f.a.token, "POST", "/policy?dryRun=true", edited, "application/yaml")
	expect(t, "dry run", r, 200)
	var res admin.ImportResult
	r.json(t, &res)
	if res.Applied || len(res.Diff) != 1 || res.Diff[0].Op != "update" || f.changeCount(f.a.tn) != before {
		t.Fatalf("dry run = %s", r.body)
	}
	r = f.doCT(f.a.token, "POST", "/policy", edited, "application/yaml")
	r.json(t, &res)
	if !res.Applied {
		t.Fatalf("import = %s", r.body)
	}
	p, _ := f.a.tn.ListChanges(bg, store.ChangeQuery{Actor: "import:admin:officer", Count: 10})
	if p.Total != 1 {
		t.Fatalf("import changes by import:admin:officer = %d", p.Total)
	}
	expect(t, "import json", f.do(f.a.token, "POST", "/policy", `{}`), http.StatusUnsupportedMediaType)
	expectField(t, "import wrong org", f.doCT(f.b.token, "POST", "/policy", edited, "application/yaml"), "organisation")
}

// Requests no route takes under the admin prefix get the admin error body.
func TestUnmatchedAdminRoutes(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/nothing", http.StatusNotFound, "not_found"},
		{"GET", "/roles/x/y/z", http.StatusNotFound, "not_found"},
		{"PATCH", "/roles", http.StatusMethodNotAllowed, "method_not_allowed"},
	} {
		r := f.do(f.a.token, tc.method, tc.path, nil)
		if r.status != tc.status {
			t.Errorf("%s %s: status %d, want %d (%s)", tc.method, tc.path, r.status, tc.status, r.body)
			continue
		}
		m := r.obj(t)
		if m["error"] != tc.code || m["message"] == "" {
			t.Errorf("%s %s: body %s", tc.method, tc.path, r.body)
		}
	}
}

// A deeply nested body is refused before it is decoded.
func TestDeepJSONRefused(t *testing.T) {
	f := newFixture(t)
	deep := `{"name":"x","elements":` + strings.Repeat("[", 50_000) + strings.Repeat("]", 50_000) + `}`
	r := f.do(f.a.token, "POST", "/roles", deep)
	expect(t, "deep body", r, http.StatusBadRequest)
	if m := r.obj(t); m["error"] != "malformed_json" || !strings.Contains(m["message"].(string), "deeper") {
		t.Fatalf("deep body: %s", r.body)
	}
}

// An organisation's own sign-in tenant is set and read per organisation;
// a client secret is never accepted in the body.
func TestSignInSettings(t *testing.T) {
	f := newFixture(t)
	r := f.do(f.a.token, "GET", "/sign-in", nil)
	expect(t, "get empty", r, http.StatusOK)
	if m := r.obj(t); len(m) != 0 {
		t.Fatalf("fresh organisation has sign-in settings: %s", r.body)
	}
	body := map[string]string{"issuer": "https://login.microsoftonline.com/6f1a2c9e-0000-4000-8000-000000000001/v2.0",
		"clientId": "app-nordvik", "clientSecretFile": "/run/secrets/nordvik-oidc", "consoleGroup": "Personvern"}
	r = f.do(f.a.token, "PUT", "/sign-in", body)
	expect(t, "put", r, http.StatusOK)
	r = f.do(f.a.token, "GET", "/sign-in", nil)
	if m := r.obj(t); m["issuer"] != body["issuer"] || m["clientId"] != "app-nordvik" || m["clientSecretFile"] != body["clientSecretFile"] || m["consoleGroup"] != "Personvern" {
		t.Fatalf("get after put: %s", r.body)
	}
	if m := f.do(f.b.token, "GET", "/sign-in", nil).obj(t); len(m) != 0 {
		t.Fatalf("the other organisation sees settings: %v", m)
	}
	for _, tc := range []struct {
		name  string
		body  map[string]string
		field string
	}{
		{"plain http issuer", map[string]string{"issuer": "http://login.example/v2.0", "clientId": "x"}, "issuer"},
		{"bad dev tenant", map[string]string{"issuer": "dev:Nord vik", "clientId": "x"}, "issuer"},
		{"no client id", map[string]string{"issuer": "dev:nordvik"}, "clientId"},
		{"relative secret file", map[string]string{"issuer": "dev:nordvik", "clientId": "x", "clientSecretFile": "secret.txt"}, "clientSecretFile"},
		{"settings without issuer", map[string]string{"clientId": "x"}, "issuer"},
	} {
		expectField(t, tc.name, f.do(f.a.token, "PUT", "/sign-in", tc.body), tc.field)
	}
	r = f.do(f.a.token, "PUT", "/sign-in", map[string]string{"issuer": "dev:nordvik", "clientId": "x", "clientSecret": "hunter2"})
	if r.status != http.StatusBadRequest || r.obj(t)["error"] != "unknown_field" {
		t.Fatalf("client secret in the body: %d %s", r.status, r.body)
	}
	if strings.Contains(f.logs.String(), "hunter2") {
		t.Fatal("a client secret reached the log")
	}
	// Clearing returns to the instance's settings.
	expect(t, "clear", f.do(f.a.token, "PUT", "/sign-in", map[string]string{}), http.StatusOK)
	if m := f.do(f.a.token, "GET", "/sign-in", nil).obj(t); len(m) != 0 {
		t.Fatalf("after clearing: %v", m)
	}
}
