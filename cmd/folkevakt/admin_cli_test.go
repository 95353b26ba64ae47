package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"folkevakt/policy"
	"folkevakt/policy/secret"
	"folkevakt/store"
	"folkevakt/store/sqlstore"
)

type cli struct {
	t       *testing.T
	dataDir string
	env     map[string]string
}

// run runs folkevakt in-process and returns exit code, stdout and stderr.
func (c *cli) run(args ...string) (int, string, string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := c.env[k]; return v, ok }
	code := run(context.Background(), args, &out, &errb, lookup)
	return code, out.String(), errb.String()
}

// ok runs and requires exit code 0.
func (c *cli) ok(args ...string) string {
	c.t.Helper()
	code, out, errs := c.run(args...)
	if code != 0 {
		c.t.Fatalf("folkevakt %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

func newCLI(t *testing.T) *cli {
	dir := t.TempDir()
	c := &cli{t: t, dataDir: dir, env: map[string]string{"FOLKEVAKT_DATA_DIR": dir, "USER": "tester"}}
	c.ok("migrate")
	return c
}

func (c *cli) openStore() *sqlstore.Store {
	c.t.Helper()
	st, err := sqlstore.Open(context.Background(), sqlstore.Options{Path: filepath.Join(c.dataDir, "folkevakt.db")})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { st.Close() })
	return st
}

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

const org = "974760673"

func TestCLIPolicyRoundTrip(t *testing.T) {
	c := newCLI(t)
	out := c.ok("org", "create", "--org-number", org, "--name", "Storevik kommune", "--kommunenummer", "4627,4628")
	if !strings.Contains(out, "created organisation 974760673") {
		t.Fatalf("org create: %s", out)
	}
	if out := c.ok("org", "list"); !strings.Contains(out, "Storevik kommune") || !strings.Contains(out, "4627,4628") {
		t.Fatalf("org list: %s", out)
	}
	c.env["FOLKEVAKT_ORG"] = org // --org from the environment from here on
	st := c.openStore()
	o, err := st.GetOrganisationByNumber(context.Background(), org)
	if err != nil {
		t.Fatal(err)
	}
	tn := st.Tenant(o.ID)

	adminTok := strings.TrimSpace(c.ok("tokens", "create", "--kind", "admin", "--name", "officer"))
	scimTok := strings.TrimSpace(c.ok("tokens", "create", "--kind", "scim", "--name", "entra"))
	auth := secret.NewTokenAuthenticator(st)
	if tok, err := auth.Authenticate(context.Background(), store.TokenSCIM, scimTok); err != nil || tok.OrgID != o.ID {
		t.Fatalf("scim token from the CLI does not authenticate: %v", err)
	}
	if _, err := auth.Authenticate(context.Background(), store.TokenAdmin, adminTok); err != nil {
		t.Fatalf("admin token from the CLI does not authenticate: %v", err)
	}
	if out := c.ok("tokens", "list"); !strings.Contains(out, "officer") || strings.Contains(out, adminTok) {
		t.Fatalf("tokens list: %s", out)
	}

	var skole store.Role
	if err := json.Unmarshal([]byte(c.ok("roles", "create", "--name", "Skolekontoret", "--description", "Oppslag",
		"--service-area", "skole", "--purposes", "search", "--elements", "navn,bostedsadresse")), &skole); err != nil {
		t.Fatal(err)
	}
	roleFile := filepath.Join(t.TempDir(), "role.json")
	os.WriteFile(roleFile, []byte(`{"name":"Brann","serviceArea":"brann","usage":"m2m","purposes":["search"],"elements":["navn"],"gradedAddresses":"hide"}`), 0o600)
	var brann store.Role
	if err := json.Unmarshal([]byte(c.ok("roles", "create", "--file", roleFile)), &brann); err != nil {
		t.Fatal(err)
	}
	if out := c.ok("roles", "list"); !strings.Contains(out, "Skolekontoret") || !strings.Contains(out, "Brann") {
		t.Fatalf("roles list: %s", out)
	}
	if out := c.ok("roles", "show", "--id", skole.ID); !strings.Contains(out, `"identifikasjonsnummer"`) {
		t.Fatalf("roles show: %s", out)
	}
	code, out, errs := c.run("integrations", "create", "--name", "Visma Flyt Skole", "--org-number", "974760673", "--description", "Skole")
	if code != 0 || !strings.Contains(errs, "shown this once") {
		t.Fatalf("integrations create: %d %s %s", code, out, errs)
	}
	integID := uuidRE.FindString(out)
	pw := strings.TrimSpace(out[strings.Index(out, "password: ")+len("password: "):])
	integ, err := tn.GetIntegration(context.Background(), integID)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := secret.Verify(integ.PasswordHash, pw); !ok {
		t.Fatal("printed password does not verify")
	}
	out = c.ok("integrations", "rotate-password", "--id", integID)
	integ, _ = tn.GetIntegration(context.Background(), integID)
	if ok, _ := secret.Verify(integ.PasswordHash, pw); ok || !strings.Contains(out, "password: ") {
		t.Fatal("old password works after rotate-password")
	}
	c.ok("grants", "create", "--role", skole.ID, "--kind", "integration", "--subject", integID)
	if out := c.ok("grants", "list", "--role", skole.ID); !strings.Contains(out, integID) || !strings.Contains(out, "cli:tester") {
		t.Fatalf("grants list: %s", out)
	}

	// SCIM would provision these; the test writes them straight to the store.
	ctx := store.WithActor(context.Background(), "scim:test")
	g, _ := tn.CreateGroup(ctx, store.Group{DisplayName: "Brannvesenet"}, nil)

	exported := filepath.Join(t.TempDir(), "policy.yaml")
	c.ok("policy", "export", "--out", exported)
	text, _ := os.ReadFile(exported)
	if !strings.Contains(string(text), "integration: Visma Flyt Skole") || !strings.Contains(string(text), "organisation: \""+org+"\"") {
		t.Fatalf("export:\n%s", text)
	}
	// Edit: Brann gets kjoenn and a group grant; Skolekontoret's description
	// changes and its integration grant gets an expiry.
	edited := string(text)
	for _, r := range []struct{ old, new string }{
		{"      - navn\n    gradedAddresses: hide\n  - name: Skolekontoret", "      - kjoenn\n      - navn\n    gradedAddresses: hide\n    grants:\n      - group: Brannvesenet\n  - name: Skolekontoret"},
		{"description: Oppslag\n", "description: Oppslag for skolekontoret\n"},
		{"      - integration: Visma Flyt Skole\n", "      - integration: Visma Flyt Skole\n        expiresAt: \"2099-01-01T00:00:00Z\"\n"},
	} {
		if !strings.Contains(edited, r.old) {
			t.Fatalf("export lacks %q:\n%s", r.old, edited)
		}
		edited = strings.Replace(edited, r.old, r.new, 1)
	}
	editedFile := filepath.Join(t.TempDir(), "edited.yaml")
	os.WriteFile(editedFile, []byte(edited), 0o600)

	changes := func() int {
		p, err := tn.ListChanges(context.Background(), store.ChangeQuery{Count: -1})
		if err != nil {
			t.Fatal(err)
		}
		return p.Total
	}
	before := changes()
	dry := c.ok("policy", "import", "--file", editedFile, "--dry-run")
	for _, want := range []string{`~ role "Brann": elements +kjoenn`, `+ grant of "Brann" to group "Brannvesenet"`,
		`~ role "Skolekontoret": description "Oppslag" → "Oppslag for skolekontoret"`,
		`~ grant of "Skolekontoret" to integration "Visma Flyt Skole": expiresAt never → 2099-01-01T00:00:00Z`, "dry run: 4 change(s)"} {
		if !strings.Contains(dry, want) {
			t.Fatalf("dry run lacks %q:\n%s", want, dry)
		}
	}
	if changes() != before {
		t.Fatal("dry run changed something")
	}
	applied := c.ok("policy", "import", "--file", editedFile)
	if !strings.Contains(applied, "applied 4 change(s)") {
		t.Fatalf("import: %s", applied)
	}
	p, _ := tn.ListChanges(context.Background(), store.ChangeQuery{Actor: "import:cli:tester", Count: -1})
	if p.Total != 5 { // role update ×2, grant create, grant delete+create
		t.Fatalf("import recorded %d changes as import:cli:tester", p.Total)
	}
	if gs, _ := tn.ListGrants(context.Background(), store.GrantQuery{RoleID: brann.ID, SubjectID: g.ID}); len(gs) != 1 {
		t.Fatal("group grant not created")
	}
	reexport := c.ok("policy", "export")
	if reexport != edited {
		t.Fatalf("export after import differs from the edited file:\n--- edited\n%s\n--- export\n%s", edited, reexport)
	}
	if out := c.ok("policy", "import", "--file", editedFile); !strings.Contains(out, "no changes") {
		t.Fatalf("second import: %s", out)
	}

	// Dropping a role from the file keeps it unless --prune.
	withoutBrann := edited[:strings.Index(edited, "  - name: Brann")] + edited[strings.Index(edited, "  - name: Skolekontoret"):]
	os.WriteFile(editedFile, []byte(withoutBrann), 0o600)
	if out := c.ok("policy", "import", "--file", editedFile); !strings.Contains(out, `= role "Brann": not in the file; kept`) {
		t.Fatalf("import without prune: %s", out)
	}
	if out := c.ok("policy", "import", "--file", editedFile, "--prune"); !strings.Contains(out, `- role "Brann"`) {
		t.Fatalf("import with prune: %s", out)
	}
	if _, err := tn.GetRole(context.Background(), brann.ID); err == nil {
		t.Fatal("pruned role still there")
	}
	if c.ok("policy", "export") != withoutBrann {
		t.Fatal("export after prune differs from the file")
	}

	// copy and delete
	var cp store.Role
	json.Unmarshal([]byte(c.ok("roles", "copy", "--id", skole.ID, "--name", "Skolekontoret vikar")), &cp)
	if cp.ID == "" || cp.ID == skole.ID {
		t.Fatalf("copy = %+v", cp)
	}
	c.ok("roles", "delete", "--id", cp.ID)
	gs, _ := tn.ListGrants(context.Background(), store.GrantQuery{RoleID: skole.ID})
	c.ok("grants", "delete", "--role", skole.ID, "--id", gs[0].ID)
	c.ok("integrations", "delete", "--id", integID)
	if out := c.ok("integrations", "list"); strings.Contains(out, integID) {
		t.Fatal("integration still listed")
	}
	toks, _ := tn.ListTokens(context.Background())
	c.ok("tokens", "delete", "--id", toks[0].ID)
}

func TestCLIErrors(t *testing.T) {
	c := newCLI(t)
	c.ok("org", "create", "--org-number", org, "--name", "Storevik", "--kommunenummer", "4627")
	st := c.openStore()
	before := func() int {
		o, _ := st.GetOrganisationByNumber(context.Background(), org)
		p, _ := st.Tenant(o.ID).ListChanges(context.Background(), store.ChangeQuery{Count: -1})
		return p.Total
	}
	n := before()
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"roles"}, 2, "Subcommands"},
		{[]string{"roles", "fly"}, 2, "unknown subcommand"},
		{[]string{"roles", "list"}, 2, "--org"},
		{[]string{"roles", "list", "--org", org, "extra"}, 2, "unexpected argument"},
		{[]string{"roles", "list", "--org", "974760674"}, 1, "orgNumber"},
		{[]string{"roles", "list", "--org", "964338531"}, 1, "organisation 964338531 not found"},
		{[]string{"roles", "create", "--org", org, "--name", "X", "--service-area", "stotte", "--purposes", "search", "--elements", "navn,familierelasjon"}, 1, "invalid elements: element \"familierelasjon\" is confidential"},
		{[]string{"roles", "create", "--org", org, "--name", "X", "--service-area", "skole"}, 1, "invalid purposes"},
		{[]string{"roles", "create", "--org", org, "--name", "", "--service-area", "skole", "--purposes", "search"}, 1, "invalid name"},
		{[]string{"roles", "show", "--org", org, "--id", "nope"}, 1, "role not found"},
		{[]string{"roles", "show", "--org", org}, 2, "--id is required"},
		{[]string{"tokens", "create", "--org", org, "--kind", "root", "--name", "x"}, 1, "invalid kind"},
		{[]string{"integrations", "create", "--org", org, "--name", "X", "--org-number", "123"}, 1, "invalid orgNumber"},
		{[]string{"grants", "create", "--org", org, "--role", "nope", "--kind", "user", "--subject", "x"}, 1, "role not found"},
		{[]string{"org", "create", "--org-number", org, "--name", "Again", "--kommunenummer", "4627"}, 1, "already exists"},
		{[]string{"policy", "import", "--org", org, "--file", "/nonexistent.yaml"}, 1, "--file"},
	} {
		code, out, errs := c.run(tc.args...)
		if code != tc.code || !strings.Contains(out+errs, tc.says) {
			t.Errorf("folkevakt %s: exit %d (want %d), output %q (want %q)", strings.Join(tc.args, " "), code, tc.code, out+errs, tc.says)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("version: 1\nroles:\n  - name: X\n    serviceArea: skole\n    usage: m2m\n    purposes: [search]\n    elements: [sko]\n"), 0o600)
	if code, _, errs := c.run("policy", "import", "--org", org, "--file", bad); code != 1 || !strings.Contains(errs, "roles[0].elements") {
		t.Errorf("bad policy file: exit %d, %s", code, errs)
	}
	os.WriteFile(bad, []byte("version: 1\ncolour: red\n"), 0o600)
	if code, _, errs := c.run("policy", "import", "--org", org, "--file", bad); code != 1 || !strings.Contains(errs, "colour") {
		t.Errorf("unknown key: exit %d, %s", code, errs)
	}
	if before() != n {
		t.Fatal("failed commands wrote changes")
	}
}

// TestCLIChangesReachRunningServer: a server's engine on its own store
// handle (as in another process) sees a CLI grant by polling the feed.
func TestCLIChangesReachRunningServer(t *testing.T) {
	c := newCLI(t)
	c.ok("org", "create", "--org-number", org, "--name", "Storevik", "--kommunenummer", "4627")
	c.env["FOLKEVAKT_ORG"] = org
	var role store.Role
	json.Unmarshal([]byte(c.ok("roles", "create", "--name", "R", "--service-area", "skole", "--purposes", "search")), &role)
	out := c.ok("integrations", "create", "--name", "Fag", "--org-number", org)
	integID := uuidRE.FindString(out)

	server := c.openStore()
	model, err := os.ReadFile("../../model.conf")
	if err != nil {
		t.Fatal(err)
	}
	engine, err := policy.New(context.Background(), policy.Options{Model: string(model), Store: server, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go engine.Run(ctx)
	o, _ := server.GetOrganisationByNumber(context.Background(), org)
	q := policy.Query{Subject: policy.Subject{Kind: "integration", ID: integID}, RoleID: role.ID, Purpose: "search", Elements: []string{"identifikasjonsnummer"}}
	if engine.Decide(o.ID, q).Allowed {
		t.Fatal("allowed before the grant")
	}
	c.ok("grants", "create", "--role", role.ID, "--kind", "integration", "--subject", integID)
	start := time.Now()
	for !engine.Decide(o.ID, q).Allowed {
		if time.Since(start) > 2*time.Second {
			t.Fatal("the server did not see the CLI grant within 2 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
