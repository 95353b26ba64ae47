package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"folkevakt/gateway/auth"
)

// /metrics of the real server after SCIM requests and a citizen list: the
// Go, process and build collectors, SCIM requests by resource type, the
// list queue and finished jobs, audit batches; and nothing personal in a
// label, nor in the log lines of the list job.
func TestMetricsAndListJobLogs(t *testing.T) {
	dir := t.TempDir()
	const adminToken, scimToken = "metrics-admin-token-0123456789", "metrics-scim-token-0123456789"
	srv := startServe(t, dir, map[string]string{
		"FOLKEVAKT_BOOTSTRAP_ORG":         e2eOrg + ":Storevik kommune:" + e2eKommune,
		"FOLKEVAKT_BOOTSTRAP_ADMIN_TOKEN": adminToken,
		"FOLKEVAKT_BOOTSTRAP_SCIM_TOKEN":  scimToken,
	}, "--log-level", "info")
	adminH := map[string]string{"Authorization": "Bearer " + adminToken, "Content-Type": "application/json"}
	scimH := map[string]string{"Authorization": "Bearer " + scimToken, "Content-Type": "application/scim+json"}
	must := func(want, got int, body []byte, what string) {
		t.Helper()
		if got != want {
			t.Fatalf("%s: status %d, want %d: %s", what, got, want, body)
		}
	}

	const userName = "ola.metrikk@storevik.kommune.no"
	code, b := call(t, "POST", srv.base+"/scim/v2/Users", scimH, map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": userName, "active": true})
	must(201, code, b, "SCIM create user")
	user := decode[struct{ ID string }](t, b)
	code, b = call(t, "GET", srv.base+"/scim/v2/Users/"+user.ID, scimH, nil)
	must(200, code, b, "SCIM get user")
	code, b = call(t, "GET", srv.base+`/scim/v2/Users?filter=userName%20eq%20%22`+userName+`%22`, scimH, nil)
	must(200, code, b, "SCIM filter users")

	code, b = call(t, "POST", srv.base+"/admin/api/v1/roles", adminH, map[string]any{
		"name": "Lister", "serviceArea": "helse-omsorg", "usage": "web+m2m", "purposes": []string{"citizen-lists"},
		"elements": []string{"navn", "foedsel", "status", "bostedsadresse"}, "gradedAddresses": "hide"})
	must(201, code, b, "create role")
	role := decode[struct{ ID string }](t, b)
	code, b = call(t, "POST", srv.base+"/admin/api/v1/integrations", adminH, map[string]any{"name": "Fagsystem", "orgNumber": e2eOrg})
	must(201, code, b, "create integration")
	integ := decode[struct{ ID, Password string }](t, b)
	code, b = call(t, "POST", srv.base+"/admin/api/v1/roles/"+role.ID+"/grants", adminH, map[string]any{"kind": "integration", "subject": integ.ID})
	must(201, code, b, "grant")
	token, err := auth.MintMaskinportenToken(dir, e2eOrg, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	asMachine := map[string]string{"Authorization": "Bearer " + token, "IntegrasjonId": integ.ID, "IntegrasjonPassord": integ.Password,
		"Content-Type": "application/json"}
	lists := srv.base + "/folkeregister/api/v1/" + role.ID + "/innbyggerlister"
	code, b = call(t, "POST", lists, asMachine, map[string]any{
		"criteria": map[string]any{"foedselsaarFraOgMed": 1980, "foedselsaarTilOgMed": 1985},
		"elements": []string{"identifikasjonsnummer", "navn"}, "format": "csv"})
	must(202, code, b, "order list")
	order := decode[struct{ ID string }](t, b)
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		code, b = call(t, "GET", lists+"/"+order.ID, asMachine, nil)
		must(200, code, b, "order status")
		if st := decode[struct{ Status string }](t, b).Status; st == "done" {
			break
		} else if st != "queued" && st != "running" || time.Now().After(deadline) {
			t.Fatalf("order ended %s: %s", st, b)
		}
	}
	code, file := call(t, "GET", lists+"/"+order.ID+"/fil", asMachine, nil)
	must(200, code, file, "list file")
	idents := regexp.MustCompile(`\b[0-9]{11}\b`).FindAllString(string(file), -1)
	if len(idents) == 0 {
		t.Fatalf("the list has no identity numbers: %.300s", file)
	}

	code, b = call(t, "GET", srv.base+"/metrics", nil, nil)
	must(200, code, b, "metrics")
	body := string(b)
	for _, want := range []string{
		"go_goroutines ",
		"go_gc_duration_seconds",
		"process_resident_memory_bytes ",
		"go_build_info{",
		`folkevakt_build_info{goversion="go`,
		`folkevakt_scim_requests_total{method="POST",resource="Users",status="201"} 1`,
		`folkevakt_scim_requests_total{method="GET",resource="Users",status="200"} 2`,
		`folkevakt_scim_request_duration_seconds_count{resource="Users"} 3`,
		"folkevakt_list_queue_length 0",
		"folkevakt_list_queue_capacity ",
		"folkevakt_list_jobs_running 0",
		`folkevakt_list_jobs_finished_total{outcome="done"} 1`,
		`folkevakt_list_jobs_finished_total{outcome="failed"} 0`,
		"folkevakt_audit_batch_size_count ",
		`folkevakt_upstream_errors_total{kind="timeout"} 0`,
		`folkevakt_http_requests_total{method="POST",route="/folkeregister/api/v1/:rolleId/innbyggerlister",status="202"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	logs := srv.stderr.String()
	for _, want := range []string{
		fmt.Sprintf(`"msg":"list order started","order_id":"%s"`, order.ID),
		fmt.Sprintf(`"msg":"list order finished","order_id":"%s"`, order.ID),
		`"outcome":"done","rows":` + fmt.Sprint(len(idents)),
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s", want)
		}
	}
	for _, secret := range append([]string{userName, user.ID}, idents...) {
		if strings.Contains(body, secret) {
			t.Errorf("metrics contain %q", secret)
		}
		if strings.Contains(logs, secret) && secret != user.ID {
			t.Errorf("the application log contains %q", secret)
		}
	}
}
