package main

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"folkevakt/gateway/freg/fregsim"
	"folkevakt/gateway/freg/synth"
)

// leafCommands lists every runnable command line: top-level commands and
// each verb of the commands that have verbs.
func leafCommands() [][]string {
	var out [][]string
	for name := range commands {
		switch {
		case adminVerbs[name] != nil:
			for v := range adminVerbs[name] {
				out = append(out, []string{name, v})
			}
		case name == "dev":
			for v := range devCommands {
				out = append(out, []string{name, v})
			}
		case name == "audit":
			out = append(out, []string{name, "verify"}, []string{name, "checkpoint"})
		default:
			out = append(out, []string{name})
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.Join(out[i], " ") < strings.Join(out[j], " ") })
	return out
}

// One convention for every command: help on stdout with exit 0, usage
// errors on stderr with exit 2.
func TestCLIHelpAndExitCodes(t *testing.T) {
	c := &cli{t: t, env: map[string]string{}}
	leaves := leafCommands()
	if len(leaves) < 25 {
		t.Fatalf("only %d commands found", len(leaves))
	}
	for _, leaf := range leaves {
		for _, h := range []string{"-h", "--help"} {
			code, out, errs := c.run(append(leaf, h)...)
			if code != 0 || !strings.Contains(out, "Usage: folkevakt "+strings.Join(leaf, " ")) || errs != "" {
				t.Errorf("folkevakt %s %s: exit %d, stdout %q, stderr %q", strings.Join(leaf, " "), h, code, out, errs)
			}
		}
		code, out, errs := c.run(append(leaf, "--no-such-flag")...)
		if code != 2 || out != "" || !strings.Contains(errs, "no-such-flag") {
			t.Errorf("folkevakt %s --no-such-flag: exit %d, stdout %q, stderr %q", strings.Join(leaf, " "), code, out, errs)
		}
	}
	for name := range commands {
		// help for a command with verbs lists them; 'help <command>' is the same.
		code, out, errs := c.run("help", name)
		if code != 0 || !strings.Contains(out, "Usage: folkevakt "+name) || errs != "" {
			t.Errorf("folkevakt help %s: exit %d, stdout %q, stderr %q", name, code, out, errs)
		}
	}
	for _, tc := range []struct {
		args []string
		code int
	}{
		{nil, 2}, {[]string{"nope"}, 2}, {[]string{"roles"}, 2}, {[]string{"roles", "fly"}, 2}, {[]string{"dev"}, 2},
		{[]string{"audit"}, 2}, {[]string{"audit", "prove"}, 2}, {[]string{"version", "extra"}, 2},
		{[]string{"help"}, 0}, {[]string{"--help"}, 0},
	} {
		code, out, errs := c.run(tc.args...)
		if code != tc.code || (code == 2 && (out != "" || errs == "")) || (code == 0 && out == "") {
			t.Errorf("folkevakt %s: exit %d (want %d), stdout %q, stderr %q", strings.Join(tc.args, " "), code, tc.code, out, errs)
		}
	}
	v1, v2 := c.ok("version"), c.ok("--version")
	if v1 != v2 || !strings.HasPrefix(v1, "folkevakt ") {
		t.Errorf("version %q, --version %q", v1, v2)
	}
}

// --json on every list verb prints a JSON array (also when empty).
func TestCLIListJSON(t *testing.T) {
	c := newCLI(t)
	c.ok("org", "create", "--org-number", org, "--name", "Storevik kommune", "--kommunenummer", "4627")
	c.env["FOLKEVAKT_ORG"] = org
	c.ok("tokens", "create", "--kind", "scim", "--name", "entra")
	out := c.ok("roles", "create", "--name", "Oppslag", "--service-area", "skole", "--purposes", "search", "--elements", "navn")
	var role struct{ ID string }
	if err := json.Unmarshal([]byte(out), &role); err != nil {
		t.Fatal(err)
	}
	c.ok("integrations", "create", "--name", "Fagsystem", "--org-number", org)
	wantLen := map[string]int{"org": 1, "tokens": 1, "roles": 1, "integrations": 1, "grants": 0}
	var listed []string
	for _, leaf := range leafCommands() {
		if len(leaf) != 2 || leaf[1] != "list" {
			continue
		}
		args := append(leaf, "--json")
		if leaf[0] == "grants" {
			args = append(args, "--role", role.ID)
		}
		out := c.ok(args...)
		var items []map[string]any
		if err := json.Unmarshal([]byte(out), &items); err != nil {
			t.Errorf("folkevakt %s: not a JSON array: %v\n%s", strings.Join(args, " "), err, out)
			continue
		}
		if n, ok := wantLen[leaf[0]]; ok && len(items) != n {
			t.Errorf("folkevakt %s: %d items, want %d", strings.Join(args, " "), len(items), n)
		}
		if leaf[0] == "service-areas" && len(items) < 5 {
			t.Errorf("service-areas list --json: %d items", len(items))
		}
		if strings.Contains(out, "argon2") || strings.Contains(strings.ToLower(out), "hash") {
			t.Errorf("folkevakt %s shows a secret hash: %s", strings.Join(args, " "), out)
		}
		listed = append(listed, leaf[0])
	}
	if len(listed) != 6 {
		t.Errorf("list verbs found: %v", listed)
	}
}

// A missing data directory is an error for every command but serve and
// migrate, and nothing creates it.
func TestCLIMissingDataDir(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-dir")
	c := &cli{t: t, env: map[string]string{"FOLKEVAKT_DATA_DIR": missing, "FOLKEVAKT_ORG": org}}
	for _, args := range [][]string{
		{"org", "list"}, {"roles", "list"}, {"tokens", "create", "--name", "x"}, {"service-areas", "list"},
		{"policy", "export"}, {"audit", "verify"}, {"dev", "maskinporten-token", "--org", org},
		{"dev", "employee-token", "--user", "kari"},
	} {
		code, out, errs := c.run(args...)
		if code != 1 || !strings.Contains(errs, "no-such-dir is not an existing directory") || out != "" {
			t.Errorf("folkevakt %s: exit %d, stdout %q, stderr %q", strings.Join(args, " "), code, out, errs)
		}
	}
	code, out, _ := c.run("check-config", "--policy-model", "../../model.conf")
	if code != 1 || !strings.Contains(out, "FAIL  data-dir: does not exist") || !strings.Contains(out, "FAIL  database:") {
		t.Errorf("check-config: exit %d: %s", code, out)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatalf("a command created the data directory: %v", err)
	}
	c.ok("migrate")
	if _, err := os.Stat(filepath.Join(missing, "folkevakt.db")); err != nil {
		t.Fatalf("migrate did not create the database: %v", err)
	}
	// An explicit --database that does not exist is refused the same way.
	if code, _, errs := c.run("org", "list", "--database", filepath.Join(missing, "other.db")); code != 1 || !strings.Contains(errs, "does not exist") {
		t.Errorf("org list --database missing: exit %d, %s", code, errs)
	}
}

// testIssuer is an OpenID Connect issuer on loopback HTTP with one RSA key.
func testIssuer(t *testing.T, discoveryPath string) *httptest.Server {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var srv *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("GET /tenant/v2.0"+discoveryPath, func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"issuer": srv.URL + "/tenant/v2.0", "jwks_uri": srv.URL + "/keys"})
	})
	// An impostor: its discovery document names the issuer above.
	mux.HandleFunc("GET /impostor/.well-known/", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"issuer": srv.URL + "/tenant/v2.0", "jwks_uri": srv.URL + "/keys"})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		b64 := base64.RawURLEncoding.EncodeToString
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{"kty": "RSA", "use": "sig", "kid": "k1",
			"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes())}}})
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// check-config reaches the issuers, the database and the upstream and says
// what is wrong in one line each; a wrong issuer URL is caught.
func TestCheckConfig(t *testing.T) {
	c := newCLI(t)
	oidc := testIssuer(t, "/.well-known/openid-configuration")
	mp := testIssuer(t, "/.well-known/oauth-authorization-server")
	reg, err := synth.Generate(synth.Config{Seed: 1, N: 200})
	if err != nil {
		t.Fatal(err)
	}
	upstream := httptest.NewServer(fregsim.NewHandler(reg, slog.New(slog.DiscardHandler)))
	t.Cleanup(upstream.Close)
	base := []string{"check-config", "--policy-model", "../../model.conf", "--upstream", upstream.URL + fregsim.Prefix,
		"--maskinporten", mp.URL + "/tenant/v2.0", "--maskinporten-audience", "https://folkevakt.example/folkeregister", "--oidc-audience", "app", "--oidc-redirect-url", "https://folkevakt.example/logg-inn/callback"}
	checks := []string{"data-dir", "policy-model", "database", "upstream", "maskinporten", "oidc-issuer"}
	lines := func(out string) map[string]string {
		m := map[string]string{}
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			status, rest, _ := strings.Cut(l, "  ")
			name, _, _ := strings.Cut(strings.TrimSpace(rest), ":")
			m[name] = strings.TrimSpace(status)
		}
		return m
	}

	code, out, errs := c.run(append(base, "--oidc-issuer", oidc.URL+"/tenant/v2.0")...)
	got := lines(out)
	for _, name := range checks {
		if got[name] != "ok" {
			t.Errorf("%s: %q", name, got[name])
		}
	}
	if code != 0 || len(got) != len(checks) || !strings.Contains(out, "1 signing key(s)") || !strings.Contains(out, "last hendelse sequence") {
		t.Fatalf("good configuration: exit %d\n%s%s", code, out, errs)
	}

	for _, tc := range []struct {
		name, failing, says string
		args                []string
	}{
		{"wrong issuer path", "oidc-issuer", "404", []string{"--oidc-issuer", oidc.URL + "/other-tenant/v2.0"}},
		{"issuer of another kind", "oidc-issuer", "404", []string{"--oidc-issuer", mp.URL + "/tenant/v2.0"}},
		{"issuer naming another", "maskinporten", "is not the configured one", []string{"--oidc-issuer", oidc.URL + "/tenant/v2.0",
			"--maskinporten", oidc.URL + "/impostor"}},
		{"nobody listening", "upstream", "does not answer", []string{"--oidc-issuer", oidc.URL + "/tenant/v2.0",
			"--upstream", "http://127.0.0.1:1" + fregsim.Prefix}},
	} {
		code, out, _ := c.run(append(base, tc.args...)...)
		got := lines(out)
		var failed []string
		for name, status := range got {
			if status != "ok" {
				failed = append(failed, name)
			}
		}
		if code != 1 || len(failed) != 1 || failed[0] != tc.failing || !strings.Contains(out, tc.says) || len(got) != len(checks) {
			t.Errorf("%s: exit %d, failed %v, want only %s saying %q:\n%s", tc.name, code, failed, tc.failing, tc.says, out)
		}
	}
}
