package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"folkevakt/gateway/freg"
	"folkevakt/policy/secret"
	"folkevakt/store"
)

var searchOnly = []string{store.PurposeSearch}

// A machine caller and an employee (SCIM user in a granted group) each get
// exactly their role's elements, and each request leaves one audit record.
func TestLookupMachineAndEmployee(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ctx := context.Background()
	ex := register(t).Examples()

	narrow := f.role("stotte", store.UsageM2M, store.GradedHide, searchOnly, "identifikasjonsnummer", "navn", "bostedsadresse")
	integ := f.integration("Sak/arkiv")
	f.grant(narrow.ID, store.SubjectIntegration, integ.id)

	r := f.do(integ, "GET", personPath(narrow.ID, ex.Ordinary, "part=navn,bostedsadresse"), nil)
	if r.status != http.StatusOK {
		t.Fatalf("machine lookup: %d %s", r.status, r.body)
	}
	keys := topLevel(t, r.body)
	for k := range keys {
		if k != "identifikasjonsnummer" && k != "navn" && k != "bostedsadresse" {
			t.Errorf("element %s outside the role returned", k)
		}
	}
	if _, ok := keys["navn"]; !ok {
		t.Errorf("navn missing: %s", r.body)
	}
	rec := f.lastAudit()
	if rec.Decision != store.DecisionAllow || rec.Status != 200 || rec.SubjectKind != store.SubjectIntegration || rec.SubjectID != integ.id ||
		rec.ServiceArea != "stotte" || len(rec.LegalBasis) == 0 || rec.Purpose != store.PurposeSearch ||
		len(rec.Persons) != 1 || rec.Persons[0] != ex.Ordinary || rec.Action != "GET /folkeregister/api/v1/:rolleId/v1/personer/:id" {
		t.Errorf("audit record %+v", rec)
	}

	// No part: the role lacks most of person-basis → 403 (Fiks rule).
	r = f.do(integ, "GET", personPath(narrow.ID, ex.Ordinary, ""), nil)
	if r.status != http.StatusForbidden || r.fiks(t)["errorCode"] != "person-basis-required" {
		t.Fatalf("no part: %d %s", r.status, r.body)
	}
	// A part outside the role names the part.
	r = f.do(integ, "GET", personPath(narrow.ID, ex.Ordinary, "part=navn&part=relasjon-utvidet"), nil)
	if r.status != http.StatusForbidden || !strings.Contains(r.fiks(t)["message"].(string), "relasjon-utvidet") {
		t.Fatalf("part outside role: %d %s", r.status, r.body)
	}

	// Employees may not use an m2m role.
	emp := f.employee("kari@storevik.kommune.no")
	f.grant(narrow.ID, store.SubjectUser, emp.id)
	r = f.do(emp, "GET", personPath(narrow.ID, ex.Ordinary, "part=navn"), nil)
	if r.status != http.StatusForbidden || r.fiks(t)["errorCode"] != "role-m2m-only" {
		t.Fatalf("employee on m2m role: %d %s", r.status, r.body)
	}

	// Employee through a group on a web+m2m role with all of person-basis.
	basis := f.role("stotte", store.UsageWebAndM2M, store.GradedHide, searchOnly, freg.PersonBasis...)
	group, err := f.tenant.CreateGroup(ctx, store.Group{DisplayName: "Servicetorget"}, []string{emp.id})
	if err != nil {
		t.Fatal(err)
	}
	grant := f.grant(basis.ID, store.SubjectGroup, group.ID)
	r = f.do(emp, "GET", personPath(basis.ID, ex.Ordinary, ""), nil)
	if r.status != http.StatusOK {
		t.Fatalf("employee lookup: %d %s", r.status, r.body)
	}
	keys = topLevel(t, r.body)
	for k := range keys {
		if !contains(freg.PersonBasis, k) {
			t.Errorf("element %s outside person-basis returned", k)
		}
	}
	rec = f.lastAudit()
	if rec.SubjectKind != store.SubjectUser || rec.SubjectID != emp.id || rec.SubjectName != "kari@storevik.kommune.no" || rec.Decision != store.DecisionAllow {
		t.Errorf("employee audit %+v", rec)
	}

	// Revocation is effective on the very next request: membership removal,
	// then grant deletion, then user deactivation.
	if _, err := f.tenant.RemoveMembers(ctx, group.ID, []string{emp.id}); err != nil {
		t.Fatal(err)
	}
	if r = f.do(emp, "GET", personPath(basis.ID, ex.Ordinary, ""), nil); r.status != http.StatusForbidden {
		t.Fatalf("after membership removal: %d %s", r.status, r.body)
	}
	if _, err := f.tenant.AddMembers(ctx, group.ID, []string{emp.id}); err != nil {
		t.Fatal(err)
	}
	if r = f.do(emp, "GET", personPath(basis.ID, ex.Ordinary, ""), nil); r.status != http.StatusOK {
		t.Fatalf("after re-adding: %d %s", r.status, r.body)
	}
	if err := f.tenant.DeleteGrant(ctx, grant.ID); err != nil {
		t.Fatal(err)
	}
	if r = f.do(emp, "GET", personPath(basis.ID, ex.Ordinary, ""), nil); r.status != http.StatusForbidden {
		t.Fatalf("after grant deletion: %d %s", r.status, r.body)
	}
	f.grant(basis.ID, store.SubjectGroup, group.ID)
	if _, err := f.tenant.UpdateUser(ctx, emp.id, func(u store.User) (store.User, error) { u.Active = false; return u, nil }); err != nil {
		t.Fatal(err)
	}
	if r = f.do(emp, "GET", personPath(basis.ID, ex.Ordinary, ""), nil); r.status != http.StatusUnauthorized {
		t.Fatalf("after deactivation: %d %s", r.status, r.body)
	}
	rec = f.lastAudit()
	if rec.Decision != store.DecisionDeny || rec.Status != 401 {
		t.Errorf("deactivated audit %+v", rec)
	}

	// Machine integration grant deleted → refused next request.
	grants, err := f.tenant.ListGrants(ctx, store.GrantQuery{RoleID: narrow.ID, Kind: store.SubjectIntegration})
	if err != nil || len(grants) != 1 {
		t.Fatal(err, grants)
	}
	if err := f.tenant.DeleteGrant(ctx, grants[0].ID); err != nil {
		t.Fatal(err)
	}
	if r = f.do(integ, "GET", personPath(narrow.ID, ex.Ordinary, "part=navn"), nil); r.status != http.StatusForbidden || r.fiks(t)["errorCode"] != "not-granted" {
		t.Fatalf("after integration grant deletion: %d %s", r.status, r.body)
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// A role of another organisation looks exactly like a role that does not
// exist, for machine callers and employees alike.
func TestForeignAndUnknownRoles(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ctx := context.Background()
	ex := register(t).Examples()
	other, err := f.st.CreateOrganisation(ctx, store.Organisation{OrgNumber: "964338531", Name: "Nabo kommune", Kommunenummer: []string{"4601"}})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := f.st.Tenant(other.ID).CreateRole(ctx, store.Role{Name: "x", ServiceAreaID: "stotte", Usage: store.UsageWebAndM2M,
		Purposes: searchOnly, Elements: freg.PersonBasis, GradedAddresses: store.GradedHide})
	if err != nil {
		t.Fatal(err)
	}
	integ := f.integration("fag")
	emp := f.employee("ola@storevik.kommune.no")
	for _, roleID := range []string{foreign.ID, "00000000-0000-4000-8000-000000000000"} {
		for _, c := range []caller{integ, emp} {
			r := f.do(c, "GET", personPath(roleID, ex.Ordinary, ""), nil)
			body := r.fiks(t)
			if r.status != http.StatusForbidden || body["errorCode"] != "unknown-role" || body["message"] == "" {
				t.Errorf("role %s: %d %s", roleID, r.status, r.body)
			}
		}
	}
	if n := f.upstream.calls.Load(); n != 0 {
		t.Errorf("upstream called %d times", n)
	}
	// The machine caller's attempts are audited in its own organisation; the
	// employee's attempt on the foreign role in the organisation it tried;
	// the attempt on a role that exists nowhere cannot be chained anywhere.
	if recs := f.audit(); len(recs) != 2 {
		t.Fatalf("own audit records %d, want 2", len(recs))
	}
	var foreignRecs []store.AuditRecord
	_ = f.st.Tenant(other.ID).ScanAudit(ctx, 0, func(r store.AuditRecord) error { foreignRecs = append(foreignRecs, r); return nil })
	if len(foreignRecs) != 1 || foreignRecs[0].Reason != "unknown-user" || foreignRecs[0].Decision != store.DecisionDeny {
		t.Errorf("foreign organisation's records %+v", foreignRecs)
	}
}

func TestMetricsExposition(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ex := register(t).Examples()
	role := f.role("stotte", store.UsageM2M, store.GradedHide, searchOnly, "identifikasjonsnummer", "navn")
	integ := f.integration("fag")
	f.grant(role.ID, store.SubjectIntegration, integ.id)
	for i := 0; i < 3; i++ {
		f.do(integ, "GET", personPath(role.ID, ex.Ordinary, "part=navn"), nil)
	}
	f.do(integ, "GET", personPath(role.ID, ex.Ordinary, "part=kjoenn"), nil)
	r := f.do(caller{}, "GET", "/metrics", nil)
	body := string(r.body)
	for _, want := range []string{
		`folkevakt_http_requests_total{method="GET",route="/folkeregister/api/v1/:rolleId/v1/personer/:id",status="200"} 3`,
		`folkevakt_gateway_decisions_total{decision="allow",reason="ok"} 3`,
		`folkevakt_gateway_decisions_total{decision="deny",reason="element-not-in-role"} 1`,
		`folkevakt_http_request_duration_seconds_bucket{route="/folkeregister/api/v1/:rolleId/v1/personer/:id",le="+Inf"} 4`,
		`folkevakt_audit_batch_size_count `,
		"# TYPE folkevakt_upstream_errors_total counter",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(body, ex.Ordinary) {
		t.Error("metrics contain an identity number")
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

var _ = fmt.Sprintf

// A rotated password stops working on the very next request, although the
// gateway remembers successful machine logins, and the new one works.
func TestPasswordRotationIsImmediate(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ctx := context.Background()
	ex := register(t).Examples()
	role := f.role("stotte", store.UsageM2M, store.GradedHide, searchOnly, "identifikasjonsnummer", "navn")
	integ := f.integration("Sak/arkiv")
	f.grant(role.ID, store.SubjectIntegration, integ.id)
	path := personPath(role.ID, ex.Ordinary, "part=navn")
	if r := f.do(integ, "GET", path, nil); r.status != http.StatusOK {
		t.Fatalf("before rotation: %d %s", r.status, r.body)
	}
	newPassword := secret.NewPassword()
	hash, err := secret.Hash(newPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.tenant.UpdateIntegration(ctx, integ.id, func(i store.Integration) (store.Integration, error) {
		i.PasswordHash = hash
		return i, nil
	}); err != nil {
		t.Fatal(err)
	}
	if r := f.do(integ, "GET", path, nil); r.status != http.StatusUnauthorized {
		t.Fatalf("old password after rotation: %d %s", r.status, r.body)
	}
	rotated := caller{id: integ.id, headers: integ.headers.Clone()}
	rotated.headers.Set("IntegrasjonPassord", newPassword)
	if r := f.do(rotated, "GET", path, nil); r.status != http.StatusOK {
		t.Fatalf("new password: %d %s", r.status, r.body)
	}
}
