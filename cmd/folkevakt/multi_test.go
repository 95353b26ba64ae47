package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"folkevakt/gateway/auth"
	"folkevakt/gateway/freg/synth"
	"folkevakt/policy/secret"
	"folkevakt/store"
	"folkevakt/store/pgtest"
	"folkevakt/store/sqlstore"
)

// pgFixture is an organisation with a role and an integration holding it,
// provisioned on a fresh PostgreSQL database before any instance starts.
type pgFixture struct {
	url, dir  string // dir: the instances' data dir (its dev Maskinporten key signs tokens)
	org       store.Organisation
	role      store.Role
	integ     store.Integration
	password  string
	person    string
	bootstrap map[string]string
}

func newPGFixture(t *testing.T) *pgFixture {
	t.Helper()
	ctx := context.Background()
	f := &pgFixture{url: pgtest.New(t), dir: t.TempDir()}
	st, err := sqlstore.Open(ctx, sqlstore.Options{URL: f.url})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if f.org, err = st.CreateOrganisation(ctx, store.Organisation{OrgNumber: e2eOrg, Name: "Storevik kommune", Kommunenummer: []string{e2eKommune}}); err != nil {
		t.Fatal(err)
	}
	tn := st.Tenant(f.org.ID)
	if f.role, err = tn.CreateRole(ctx, store.Role{Name: "Oppslag", ServiceAreaID: "stotte", Usage: store.UsageM2M,
		Purposes: []string{store.PurposeSearch}, Elements: []string{"identifikasjonsnummer", "navn"}, GradedAddresses: store.GradedHide}); err != nil {
		t.Fatal(err)
	}
	f.password = secret.NewPassword()
	hash, _ := secret.Hash(f.password)
	if f.integ, err = tn.CreateIntegration(ctx, store.Integration{Name: "Sak/arkiv", OrgNumber: e2eOrg, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.CreateGrant(ctx, store.Grant{RoleID: f.role.ID, Kind: store.SubjectIntegration, SubjectID: f.integ.ID}); err != nil {
		t.Fatal(err)
	}
	reg, err := synth.Generate(synth.Config{Seed: 1, N: e2ePopulace, Kommuner: []string{e2eKommune}})
	if err != nil {
		t.Fatal(err)
	}
	f.person = reg.Examples().Ordinary
	f.bootstrap = map[string]string{"FOLKEVAKT_BOOTSTRAP_ORG": e2eOrg + ":Storevik kommune:" + e2eKommune,
		"FOLKEVAKT_DATABASE": f.url}
	return f
}

// lookup asks inst for f.person as the integration and returns the status.
func (f *pgFixture) lookup(t *testing.T, base, token string) int {
	req, _ := http.NewRequest("GET", base+"/folkeregister/api/v1/"+f.role.ID+"/v1/personer/"+f.person+"?part=navn", nil)
	req.Header.Set("IntegrasjonId", f.integ.ID)
	req.Header.Set("IntegrasjonPassord", f.password)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// Two instances on one PostgreSQL: lookups alternate between them under
// load, and the audit log stays one chain with one record per answer.
func TestTwoInstancesShareAuditChain(t *testing.T) {
	f := newPGFixture(t)
	a := startServe(t, f.dir, f.bootstrap)
	b := startServe(t, f.dir, f.bootstrap)
	token, err := auth.MintMaskinportenToken(f.dir, e2eOrg, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var answered atomic.Int64
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				base := a.base
				if (w+i)%2 == 1 {
					base = b.base
				}
				if code := f.lookup(t, base, token); code == http.StatusOK {
					answered.Add(1)
				} else {
					t.Errorf("lookup on %s: %d", base, code)
				}
			}
		}()
	}
	wg.Wait()
	for _, inst := range []*servedInstance{a, b} {
		if code := inst.stop(); code != 0 {
			t.Fatalf("serve exited %d: %s", code, inst.stderr.String())
		}
	}
	code, out, stderr := runOnce(nil, "audit", "verify", "--database", f.url)
	want := fmt.Sprintf("OK, %d records", answered.Load())
	if code != 0 || !strings.Contains(out, want) {
		t.Fatalf("audit verify: %d %q %q, want %q", code, out, stderr, want)
	}
}

func openPG(t *testing.T, url string) *sqlstore.Store {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), sqlstore.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	return st
}
