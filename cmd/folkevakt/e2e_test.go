package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"folkevakt/gateway/auth"
	"folkevakt/gateway/freg/synth"
	"folkevakt/policy/secret"
	"folkevakt/store"
	"folkevakt/store/sqlstore"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

const (
	e2eOrg      = "974760673"
	e2eKommune  = "4627"
	e2ePopulace = 3000
)

// `folkevakt serve` in-process with bootstrap env: a provisioned integration
// looks a person up through the real server, many concurrent requests fill
// the audit log, `audit verify` passes on it and fails after an UPDATE of
// one field and after a DELETE of a middle record.
func TestServeLookupAndAuditVerify(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "folkevakt.db")

	// Provision before serve loads its policy: the organisation (bootstrap
	// then finds it), a role and an integration holding it.
	st, err := sqlstore.Open(ctx, sqlstore.Options{Path: dbPath})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	org, err := st.CreateOrganisation(ctx, store.Organisation{OrgNumber: e2eOrg, Name: "Storevik kommune", Kommunenummer: []string{e2eKommune}})
	if err != nil {
		t.Fatal(err)
	}
	tn := st.Tenant(org.ID)
	role, err := tn.CreateRole(ctx, store.Role{Name: "Oppslag", ServiceAreaID: "stotte", Usage: store.UsageM2M,
		Purposes: []string{store.PurposeSearch}, Elements: []string{"identifikasjonsnummer", "navn"}, GradedAddresses: store.GradedHide})
	if err != nil {
		t.Fatal(err)
	}
	password := secret.NewPassword()
	hash, _ := secret.Hash(password)
	integ, err := tn.CreateIntegration(ctx, store.Integration{Name: "Sak/arkiv", OrgNumber: e2eOrg, PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tn.CreateGrant(ctx, store.Grant{RoleID: role.ID, Kind: store.SubjectIntegration, SubjectID: integ.ID}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	srv := startServe(t, dir, map[string]string{"FOLKEVAKT_BOOTSTRAP_ORG": e2eOrg + ":Storevik kommune:" + e2eKommune})
	base := srv.base
	token, err := auth.MintMaskinportenToken(dir, e2eOrg, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// The embedded register is generated with the organisations' kommuner.
	reg, err := synth.Generate(synth.Config{Seed: 1, N: e2ePopulace, Kommuner: []string{e2eKommune}})
	if err != nil {
		t.Fatal(err)
	}
	person := reg.Examples().Ordinary
	get := func(id string) (int, string) {
		req, _ := http.NewRequest("GET", base+"/folkeregister/api/v1/"+role.ID+"/v1/personer/"+id+"?part=navn", nil)
		req.Header.Set("IntegrasjonId", integ.ID)
		req.Header.Set("IntegrasjonPassord", password)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0, ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	status, body := get(person)
	want, _ := reg.Person(ctx, person, []string{"navn"})
	if status != 200 || !strings.Contains(body, `"navn"`) || !strings.Contains(body, want.Navn[0].Etternavn) || strings.Contains(body, "bostedsadresse") {
		t.Fatalf("lookup %d %s", status, body)
	}

	// A busy log: concurrent allowed and refused requests.
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 12; i++ {
				id := person
				if i%4 == 3 {
					id = "12345678901" // invalid → 400, audited as denied
				}
				get(id)
			}
		}(w)
	}
	wg.Wait()
	if strings.Contains(srv.stderr.String(), person) {
		t.Error("the application log contains an identity number")
	}
	if code := srv.stop(); code != 0 {
		t.Fatalf("serve exited %d: %s", code, srv.stderr.String())
	}

	verify := func() (int, string) {
		var out, errOut bytes.Buffer
		code := run(ctx, []string{"audit", "verify", "--data-dir", dir}, &out, &errOut, func(string) (string, bool) { return "", false })
		return code, out.String() + errOut.String()
	}
	code, out := verify()
	if code != 0 || !strings.Contains(out, "OK, 193 records") {
		t.Fatalf("verify on the busy log: %d %s", code, out)
	}
	if code, out := func() (int, string) {
		var o bytes.Buffer
		c := run(ctx, []string{"audit", "verify", "--data-dir", dir, "--org", e2eOrg}, &o, &o, func(string) (string, bool) { return "", false })
		return c, o.String()
	}(); code != 0 || !strings.Contains(out, e2eOrg) {
		t.Fatalf("verify --org: %d %s", code, out)
	}

	tamper := func(stmt string, args ...any) {
		t.Helper()
		db, err := sql.Open("sqlite3", dbPath)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		res, err := db.Exec(stmt, args...)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("%s changed %d rows", stmt, n)
		}
	}
	var orig int
	func() {
		db, err := sql.Open("sqlite3", dbPath)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.QueryRow(`SELECT status FROM audit WHERE seq = 50 AND org_id = ?`, org.ID).Scan(&orig); err != nil {
			t.Fatal(err)
		}
	}()
	tamper(`UPDATE audit SET status = ? WHERE seq = 50 AND org_id = ?`, orig+1, org.ID)
	if code, out := verify(); code != 1 || !strings.Contains(out, "seq 50 was altered") {
		t.Fatalf("verify after UPDATE: %d %s", code, out)
	}
	tamper(`UPDATE audit SET status = ? WHERE seq = 50 AND org_id = ?`, orig, org.ID)
	if code, out := verify(); code != 0 {
		t.Fatalf("verify after undoing the UPDATE: %d %s", code, out)
	}
	tamper(`DELETE FROM audit WHERE seq = 100 AND org_id = ?`, org.ID)
	if code, out := verify(); code != 1 || !strings.Contains(out, "seq 101 found where 100 was expected") {
		t.Fatalf("verify after DELETE: %d %s", code, out)
	}
}
