package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"folkevakt/gateway/auth"
	"folkevakt/gateway/freg/synth"
)

// servedInstance is `folkevakt serve` running in-process on a loopback port.
type servedInstance struct {
	base           string
	stdout, stderr *syncBuffer
	stop           func() int
}

// startServe runs `folkevakt serve` in-process with env as its environment
// and waits until it listens.
func startServe(t *testing.T, dir string, env map[string]string, extra ...string) *servedInstance {
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dir, "--population", fmt.Sprint(e2ePopulace),
		"--policy-model", "../../model.conf", "--log-level", "warn"}, extra...)
	return startListening(t, env, args)
}

// startListening runs a folkevakt command that serves HTTP in-process, with
// env as its environment, and waits until it prints where it listens.
func startListening(t *testing.T, env map[string]string, args []string) *servedInstance {
	t.Helper()
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	ctx, cancel := context.WithCancel(context.Background())
	s := &servedInstance{stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, s.stdout, s.stderr, lookup) }()
	var once bool
	var code int
	s.stop = func() int {
		if !once {
			once = true
			cancel()
			code = <-done
		}
		return code
	}
	t.Cleanup(func() { s.stop() })
	re := regexp.MustCompile(`listening on (http://\S+)`)
	for deadline := time.Now().Add(60 * time.Second); ; {
		if m := re.FindStringSubmatch(s.stdout.String()); m != nil {
			s.base = m[1]
			return s
		}
		select {
		case code := <-done:
			t.Fatalf("%s exited %d: %s", args[0], code, s.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not start: %s", args[0], s.stderr.String())
		}
	}
}

// call sends a request with a JSON body (if any) and returns status and body.
func call(t *testing.T, method, url string, headers map[string]string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// The whole product story against the real server: Entra provisions an
// employee and a group over SCIM; a compliance officer creates a role, an
// integration and grants over the admin API; the employee and the
// integration read exactly what the role allows through the gateway; a
// deactivation in SCIM, a removed membership and a revoked grant stop access
// on the very next request; the audit log holds one record per gateway
// request.
func TestStoryProvisionGrantLookupRevoke(t *testing.T) {
	dir := t.TempDir()
	const adminToken, scimToken = "story-admin-token-0123456789", "story-scim-token-0123456789"
	srv := startServe(t, dir, map[string]string{
		"FOLKEVAKT_BOOTSTRAP_ORG":         e2eOrg + ":Storevik kommune:" + e2eKommune,
		"FOLKEVAKT_BOOTSTRAP_ADMIN_TOKEN": adminToken,
		"FOLKEVAKT_BOOTSTRAP_SCIM_TOKEN":  scimToken,
	})
	adminH := map[string]string{"Authorization": "Bearer " + adminToken, "Content-Type": "application/json"}
	scimH := map[string]string{"Authorization": "Bearer " + scimToken, "Content-Type": "application/scim+json"}
	must := func(want, got int, body []byte, what string) {
		t.Helper()
		if got != want {
			t.Fatalf("%s: status %d, want %d: %s", what, got, want, body)
		}
	}

	// Entra ID provisions an employee and a group with her in it.
	const oid = "6f2b8e0c-3a1d-4c57-9f0e-2b7d5a9c1e44"
	code, b := call(t, "POST", srv.base+"/scim/v2/Users", scimH, map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "kari.nordmann@storevik.kommune.no",
		"externalId": oid, "active": true, "name": map[string]string{"givenName": "Kari", "familyName": "Nordmann"}})
	must(201, code, b, "SCIM create user")
	user := decode[struct{ ID string }](t, b)
	code, b = call(t, "POST", srv.base+"/scim/v2/Groups", scimH, map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Barnevern saksbehandlere",
		"members": []map[string]string{{"value": user.ID}}})
	must(201, code, b, "SCIM create group")
	group := decode[struct{ ID string }](t, b)

	// The compliance officer: a role, an integration, grants.
	code, b = call(t, "POST", srv.base+"/admin/api/v1/roles", adminH, map[string]any{
		"name": "Saksbehandling barnevern", "description": "Oppslag for barnevernet", "serviceArea": "barnevern",
		"usage": "web+m2m", "purposes": []string{"search"}, "elements": []string{"navn", "bostedsadresse", "familierelasjon"},
		"gradedAddresses": "hide"})
	must(201, code, b, "create role")
	role := decode[struct{ ID string }](t, b)
	code, b = call(t, "POST", srv.base+"/admin/api/v1/integrations", adminH, map[string]any{
		"name": "Fagsystem barnevern", "orgNumber": e2eOrg, "description": "Integrasjon mot fagsystemet"})
	must(201, code, b, "create integration")
	integ := decode[struct{ ID, Password string }](t, b)
	code, b = call(t, "POST", srv.base+"/admin/api/v1/roles/"+role.ID+"/grants", adminH, map[string]any{"kind": "group", "subject": group.ID})
	must(201, code, b, "grant to group")
	code, b = call(t, "POST", srv.base+"/admin/api/v1/roles/"+role.ID+"/grants", adminH, map[string]any{"kind": "integration", "subject": integ.ID})
	must(201, code, b, "grant to integration")
	integGrant := decode[struct{ ID string }](t, b)

	reg, err := synth.Generate(synth.Config{Seed: 1, N: e2ePopulace, Kommuner: []string{e2eKommune}})
	if err != nil {
		t.Fatal(err)
	}
	person := reg.Examples().ChildFelles
	personURL := srv.base + "/folkeregister/api/v1/" + role.ID + "/v1/personer/" + person + "?part=navn&part=familierelasjon"
	employeeToken, err := auth.MintEmployeeToken(dir, "kari.nordmann@storevik.kommune.no", oid, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	machineToken, err := auth.MintMaskinportenToken(dir, e2eOrg, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	asEmployee := map[string]string{"Authorization": "Bearer " + employeeToken}
	asMachine := map[string]string{"Authorization": "Bearer " + machineToken, "IntegrasjonId": integ.ID, "IntegrasjonPassord": integ.Password}
	requests := 0
	lookup := func(h map[string]string, url string) (int, []byte) {
		requests++
		return call(t, "GET", url, h, nil)
	}

	for _, who := range []map[string]string{asEmployee, asMachine} {
		code, b = lookup(who, personURL)
		must(200, code, b, "lookup")
		doc := decode[map[string]json.RawMessage](t, b)
		if _, ok := doc["navn"]; !ok {
			t.Fatalf("lookup lacks navn: %s", b)
		}
		if _, ok := doc["familierelasjon"]; !ok {
			t.Fatalf("lookup lacks familierelasjon: %s", b)
		}
		for k := range doc {
			if k != "navn" && k != "familierelasjon" && k != "identifikasjonsnummer" {
				t.Fatalf("element %s outside the request left the gateway: %s", k, b)
			}
		}
	}
	// A part outside the role is refused.
	code, b = lookup(asEmployee, srv.base+"/folkeregister/api/v1/"+role.ID+"/v1/personer/"+person+"?part=sivilstand")
	must(403, code, b, "part outside the role")

	// Entra deactivates the employee: refused on the next request.
	code, b = call(t, "PATCH", srv.base+"/scim/v2/Users/"+user.ID, scimH, map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "Replace", "path": "active", "value": "False"}}})
	must(204, code, b, "SCIM deactivate")
	code, b = lookup(asEmployee, personURL)
	must(401, code, b, "lookup by a deactivated user")
	code, b = call(t, "PATCH", srv.base+"/scim/v2/Users/"+user.ID, scimH, map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "Replace", "path": "active", "value": true}}})
	must(204, code, b, "SCIM reactivate")
	code, b = lookup(asEmployee, personURL)
	must(200, code, b, "lookup after reactivation")

	// Entra removes her from the group: the role goes with it.
	code, b = call(t, "PATCH", srv.base+"/scim/v2/Groups/"+group.ID, scimH, map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "Remove", "path": "members[value eq \"" + user.ID + "\"]"}}})
	must(204, code, b, "SCIM remove member")
	code, b = lookup(asEmployee, personURL)
	must(403, code, b, "lookup after removal from the group")

	// The compliance officer revokes the integration's grant.
	code, b = call(t, "DELETE", srv.base+"/admin/api/v1/roles/"+role.ID+"/grants/"+integGrant.ID, adminH, nil)
	must(204, code, b, "revoke")
	code, b = lookup(asMachine, personURL)
	must(403, code, b, "lookup after revocation")

	// One audit record per gateway request, none of them lost.
	code, b = call(t, "GET", srv.base+"/admin/api/v1/audit?count=1000", adminH, nil)
	must(200, code, b, "audit query")
	audit := decode[struct{ Total int }](t, b)
	if audit.Total != requests {
		t.Fatalf("audit holds %d records for %d gateway requests", audit.Total, requests)
	}
	code, b = call(t, "GET", srv.base+"/admin/api/v1/audit?person="+person, adminH, nil)
	must(200, code, b, "audit by person")
	if byPerson := decode[struct{ Total int }](t, b); byPerson.Total != requests {
		t.Fatalf("audit by person finds %d of %d", byPerson.Total, requests)
	}
	// The change history names who did what.
	code, b = call(t, "GET", srv.base+"/admin/api/v1/changes?count=100", adminH, nil)
	must(200, code, b, "changes")
	if !strings.Contains(string(b), "scim:bootstrap-scim") || !strings.Contains(string(b), "admin:bootstrap-admin") {
		t.Fatalf("change history lacks the SCIM or admin actor: %.400s", b)
	}
	if strings.Contains(srv.stderr.String(), person) {
		t.Fatal("the application log contains an identity number")
	}
	if code := srv.stop(); code != 0 {
		t.Fatalf("serve exited %d: %s", code, srv.stderr.String())
	}
}
