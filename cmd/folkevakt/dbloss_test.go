package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"folkevakt/gateway/auth"
	"folkevakt/store/pgtest"
)

// The database goes away under a running instance and comes back: the
// gateway fails closed (503 in the Fiks body, never an answer without its
// audit record), SCIM answers 503 in its error format, /readyz says so, and
// all of it recovers without a restart.
func TestPostgresLostAndBack(t *testing.T) {
	f := newPGFixture(t)
	const scimToken = "dbloss-scim-token-0123456789"
	env := map[string]string{"FOLKEVAKT_BOOTSTRAP_SCIM_TOKEN": scimToken}
	for k, v := range f.bootstrap {
		env[k] = v
	}
	srv := startServe(t, f.dir, env)
	token, err := auth.MintMaskinportenToken(f.dir, e2eOrg, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	scimH := map[string]string{"Authorization": "Bearer " + scimToken}
	answered := 0
	lookup := func() (int, []byte) {
		code, b := call(t, "GET", srv.base+"/folkeregister/api/v1/"+f.role.ID+"/v1/personer/"+f.person+"?part=navn",
			map[string]string{"Authorization": "Bearer " + token, "IntegrasjonId": f.integ.ID, "IntegrasjonPassord": f.password}, nil)
		if code == http.StatusOK {
			answered++
		}
		return code, b
	}
	if code, b := lookup(); code != 200 {
		t.Fatalf("lookup before the outage: %d %s", code, b)
	}
	if code, b := call(t, "GET", srv.base+"/scim/v2/Users", scimH, nil); code != 200 {
		t.Fatalf("SCIM before the outage: %d %s", code, b)
	}

	cluster := pgtest.Shared(t)
	if err := cluster.Pause(); err != nil {
		t.Fatal(err)
	}
	resumed := false
	defer func() {
		if !resumed {
			cluster.Resume()
		}
	}()
	for i := range 3 {
		if i == 2 {
			time.Sleep(1200 * time.Millisecond) // past the machine-login memory: authentication needs the store
		}
		code, b := lookup()
		if code != http.StatusServiceUnavailable {
			t.Fatalf("lookup without a database: %d %s, want 503", code, b)
		}
		var fiks struct{ Status int }
		if err := json.Unmarshal(b, &fiks); err != nil || fiks.Status != 503 || strings.Contains(string(b), f.person) {
			t.Fatalf("503 body is not a Fiks error body: %s", b)
		}
	}
	code, b := call(t, "GET", srv.base+"/scim/v2/Users", scimH, nil)
	if code != http.StatusServiceUnavailable || !strings.Contains(string(b), "urn:ietf:params:scim:api:messages:2.0:Error") {
		t.Fatalf("SCIM without a database: %d %s, want 503 in the SCIM error format", code, b)
	}
	code, b = call(t, "POST", srv.base+"/scim/v2/Users", map[string]string{"Authorization": "Bearer " + scimToken,
		"Content-Type": "application/scim+json"}, map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": "under.utfall@storevik.kommune.no", "active": true})
	if code != http.StatusServiceUnavailable || !strings.Contains(string(b), "urn:ietf:params:scim:api:messages:2.0:Error") {
		t.Fatalf("SCIM create without a database: %d %s, want 503 in the SCIM error format", code, b)
	}
	if code, b := call(t, "GET", srv.base+"/readyz", nil, nil); code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz without a database: %d %s", code, b)
	}

	if err := cluster.Resume(); err != nil {
		t.Fatal(err)
	}
	resumed = true
	start := time.Now()
	for {
		code, _ := lookup()
		if code == 200 {
			break
		}
		if time.Since(start) > 15*time.Second {
			t.Fatalf("no recovery within 15 s of the database's return (last status %d)", code)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("recovered %s after the database returned", time.Since(start).Round(time.Millisecond))
	if code, b := call(t, "GET", srv.base+"/scim/v2/Users", scimH, nil); code != 200 {
		t.Fatalf("SCIM after the outage: %d %s", code, b)
	}
	if code, b := call(t, "GET", srv.base+"/readyz", nil, nil); code != 200 {
		t.Fatalf("/readyz after the outage: %d %s", code, b)
	}
	if code := srv.stop(); code != 0 {
		t.Fatalf("serve exited %d: %s", code, srv.stderr.String())
	}
	code, out, stderr := runOnce(nil, "audit", "verify", "--database", f.url)
	if code != 0 {
		t.Fatalf("audit verify: %d %s %s", code, out, stderr)
	}
	t.Logf("%d answered lookups; audit: %s", answered, strings.TrimSpace(out))
}
