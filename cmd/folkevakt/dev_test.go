package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"folkevakt/gateway/auth"
	"folkevakt/policy/secret"
	"folkevakt/store"
	"folkevakt/store/sqlstore"
)

// devRun runs folkevakt in-process with env as the environment.
func devRun(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	return code, out.String(), errb.String()
}

// TestDevTokensAccepted mints tokens with the CLI and presents them to an
// Authenticator over the same data directory.
func TestDevTokensAccepted(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlstore.Open(ctx, sqlstore.Options{Path: filepath.Join(dir, "folkevakt.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	o, err := st.CreateOrganisation(ctx, store.Organisation{OrgNumber: "974760673", Name: "Storevik kommune", Kommunenummer: []string{"4627"}})
	if err != nil {
		t.Fatal(err)
	}
	password := secret.NewPassword()
	hash, _ := secret.Hash(password)
	integ, err := st.Tenant(o.ID).CreateIntegration(ctx, store.Integration{Name: "Fagsystem", OrgNumber: "974760673", PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	const oid = "9f1c0d2e-7a55-4a38-9d6e-1f2a3b4c5d6e"
	users := map[string]store.User{}
	for _, u := range []store.User{
		{UserName: "kari@storevik.kommune.no", Active: true},
		{UserName: "ola@storevik.kommune.no", ExternalID: oid, Active: true},
	} {
		if users[u.UserName], err = st.Tenant(o.ID).CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}

	// Minted before the server starts: the CLI creates the keys.
	env := map[string]string{"FOLKEVAKT_DATA_DIR": dir}
	mint := func(args ...string) string {
		t.Helper()
		code, out, errs := devRun(t, env, append([]string{"dev"}, args...)...)
		if code != 0 || errs != "" {
			t.Fatalf("folkevakt dev %s: exit %d, stderr %s", strings.Join(args, " "), code, errs)
		}
		tok := strings.TrimSpace(out)
		if strings.Count(tok, ".") != 2 || strings.Contains(tok, "\n") {
			t.Fatalf("not one JWT on stdout: %q", out)
		}
		return tok
	}
	machineTok := mint("maskinporten-token", "--org", "974760673")
	kariTok := mint("employee-token", "--user", "kari@storevik.kommune.no", "--ttl", "5m")
	olaTok := mint("employee-token", "--data-dir", dir, "--user", "someone-else", "--oid", oid)

	a, err := auth.New(ctx, auth.Config{Store: st, DataDir: dir, Maskinporten: auth.Dev, OIDCIssuer: auth.Dev})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := a.Machine(ctx, integ.ID, password, machineTok, "127.0.0.1"); err != nil || p.SubjectID != integ.ID {
		t.Fatalf("Machine with the CLI token: %+v, %v", p, err)
	}
	if p, err := a.Employee(ctx, o.ID, kariTok); err != nil || p.SubjectID != users["kari@storevik.kommune.no"].ID {
		t.Fatalf("Employee by userName: %+v, %v", p, err)
	}
	if p, err := a.Employee(ctx, o.ID, olaTok); err != nil || p.SubjectID != users["ola@storevik.kommune.no"].ID {
		t.Fatalf("Employee by oid: %+v, %v", p, err)
	}
	// A token minted for another organisation number is refused.
	other := mint("maskinporten-token", "--org", "971526920")
	if _, err := a.Machine(ctx, integ.ID, password, other, "127.0.0.1"); err == nil {
		t.Fatal("token of another organisation accepted")
	}
}

func TestDevCommandErrors(t *testing.T) {
	env := map[string]string{"FOLKEVAKT_DATA_DIR": t.TempDir()}
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"dev", "maskinporten-token", "--org", "974760672"}, 1, "not a valid organisation number"},
		{[]string{"dev", "maskinporten-token", "--org", "97476067"}, 1, "not a valid organisation number"},
		{[]string{"dev", "maskinporten-token"}, 2, "--org is required"},
		{[]string{"dev", "maskinporten-token", "--org", "974760673", "--ttl", "3h"}, 1, "ttl"},
		{[]string{"dev", "maskinporten-token", "--org", "974760673", "extra"}, 2, "unexpected argument"},
		{[]string{"dev", "employee-token"}, 2, "--user is required"},
		{[]string{"dev", "employee-token", "--user", "  "}, 2, "--user is required"},
		{[]string{"dev", "employee-token", "--user", "kari", "--ttl", "-1m"}, 1, "ttl"},
		{[]string{"dev", "mint"}, 2, "unknown command"},
	} {
		code, out, errs := devRun(t, env, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.stderr) || out != "" {
			t.Errorf("folkevakt %s: exit %d, stdout %q, stderr %q; want exit %d and %q", strings.Join(tc.args, " "), code, out, errs, tc.code, tc.stderr)
		}
	}
}

func TestDevHelp(t *testing.T) {
	for _, args := range [][]string{{"dev", "help"}, {"dev", "-h"}, {"help", "dev"}} {
		code, out, _ := devRun(t, nil, args...)
		if code != 0 || !strings.Contains(out, "maskinporten-token") || !strings.Contains(out, "employee-token") {
			t.Errorf("folkevakt %s: exit %d, stdout %q", strings.Join(args, " "), code, out)
		}
	}
	if _, out, _ := devRun(t, nil, "help"); !strings.Contains(out, "dev ") {
		t.Errorf("top-level help does not list dev: %s", out)
	}
}
