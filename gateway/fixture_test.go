package gateway_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"folkevakt/gateway"
	"folkevakt/gateway/auth"
	"folkevakt/gateway/freg"
	"folkevakt/gateway/freg/synth"
	"folkevakt/policy"
	"folkevakt/policy/secret"
	"folkevakt/store"
	"folkevakt/store/sqlstore"
)

const (
	orgNumber  = "974760673"
	kommunenr  = "4627"
	population = 3000
)

var (
	roleSeq atomic.Int64
	regOnce sync.Once
	reg     *synth.Register
)

// register is the synthetic population shared by the tests (read-only).
func register(t testing.TB) *synth.Register {
	regOnce.Do(func() {
		var err error
		reg, err = synth.Generate(synth.Config{Seed: 7, N: population, Kommuner: []string{kommunenr}})
		if err != nil {
			t.Fatal(err)
		}
	})
	return reg
}

// countingClient counts upstream calls of the real register, so tests can
// assert that refused requests fetch nothing.
type countingClient struct {
	freg.Client
	calls atomic.Int64
}

func (c *countingClient) Person(ctx context.Context, id string, parts []string) (*freg.Person, error) {
	c.calls.Add(1)
	return c.Client.Person(ctx, id, parts)
}

// PersonJSON forwards the raw lookup when the wrapped client has one
// (fregclient), so that the benchmark measures the path serve takes; for the
// embedded register it is Person encoded, as the gateway itself would do.
func (c *countingClient) PersonJSON(ctx context.Context, id string, parts []string) ([]byte, error) {
	if rp, ok := c.Client.(interface {
		PersonJSON(context.Context, string, []string) ([]byte, error)
	}); ok {
		c.calls.Add(1)
		return rp.PersonJSON(ctx, id, parts)
	}
	p, err := c.Person(ctx, id, parts)
	if err != nil {
		return nil, err
	}
	return json.Marshal(p)
}

func (c *countingClient) BulkLookup(ctx context.Context, ids, parts []string) ([]freg.BulkResult, error) {
	c.calls.Add(1)
	return c.Client.BulkLookup(ctx, ids, parts)
}
func (c *countingClient) Search(ctx context.Context, q freg.SearchQuery) ([]string, error) {
	c.calls.Add(1)
	return c.Client.Search(ctx, q)
}
func (c *countingClient) UniqueSearch(ctx context.Context, q freg.SearchQuery, parts []string) (*freg.Person, error) {
	c.calls.Add(1)
	return c.Client.UniqueSearch(ctx, q, parts)
}
func (c *countingClient) Feed(ctx context.Context, seq int64) ([]freg.FeedItem, error) {
	c.calls.Add(1)
	return c.Client.Feed(ctx, seq)
}
func (c *countingClient) OrderExtract(ctx context.Context, r freg.ExtractRequest) (string, error) {
	c.calls.Add(1)
	return c.Client.OrderExtract(ctx, r)
}
func (c *countingClient) ExtractBatch(ctx context.Context, job string, n int) (freg.ExtractBatch, error) {
	c.calls.Add(1)
	return c.Client.ExtractBatch(ctx, job, n)
}

type fixture struct {
	t        testing.TB
	dir      string
	dbPath   string
	st       *sqlstore.Store
	org      store.Organisation
	tenant   store.Tenant
	engine   *policy.Engine
	upstream *countingClient
	auth     *auth.Authenticator
	srv      *gateway.Server
	http     *httptest.Server
}

type fixtureOpts struct {
	upstream freg.Client
	timeout  time.Duration
}

func newFixture(t testing.TB, o fixtureOpts) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	f := &fixture{t: t, dir: dir, dbPath: filepath.Join(dir, "folkevakt.db")}
	var err error
	f.st, err = sqlstore.Open(ctx, sqlstore.Options{Path: f.dbPath})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.st.Close() })
	if err := f.st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f.org, err = f.st.CreateOrganisation(ctx, store.Organisation{OrgNumber: orgNumber, Name: "Storevik kommune", Kommunenummer: []string{kommunenr}})
	if err != nil {
		t.Fatal(err)
	}
	f.tenant = f.st.Tenant(f.org.ID)
	model, err := os.ReadFile("../model.conf")
	if err != nil {
		t.Fatal(err)
	}
	f.engine, err = policy.New(ctx, policy.Options{Model: string(model), Store: f.st})
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(ctx, auth.Config{Store: f.st, DataDir: dir, Maskinporten: auth.Dev, OIDCIssuer: auth.Dev})
	if err != nil {
		t.Fatal(err)
	}
	up := o.upstream
	if up == nil {
		up = register(t)
	}
	f.auth = a
	f.upstream = &countingClient{Client: up}
	f.srv = gateway.New(gateway.Options{Store: f.st, Policy: f.engine, Upstream: f.upstream, Auth: a, UpstreamTimeout: o.timeout})
	f.http = httptest.NewServer(f.srv)
	t.Cleanup(func() { f.http.Close(); f.srv.Close() })
	return f
}

func (f *fixture) role(area, usage string, graded string, purposes []string, elements ...string) store.Role {
	f.t.Helper()
	r, err := f.tenant.CreateRole(context.Background(), store.Role{Name: fmt.Sprintf("role %s %d", area, roleSeq.Add(1)), ServiceAreaID: area, Usage: usage,
		Purposes: purposes, Elements: elements, GradedAddresses: graded})
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// caller is a machine or employee caller with its headers.
type caller struct {
	headers http.Header
	id      string // integration id or SCIM user id
}

func (f *fixture) integration(name string) caller {
	f.t.Helper()
	pw := secret.NewPassword()
	h, err := secret.Hash(pw)
	if err != nil {
		f.t.Fatal(err)
	}
	i, err := f.tenant.CreateIntegration(context.Background(), store.Integration{Name: name, OrgNumber: orgNumber, PasswordHash: h})
	if err != nil {
		f.t.Fatal(err)
	}
	tok, err := auth.MintMaskinportenToken(f.dir, orgNumber, 5*time.Minute)
	if err != nil {
		f.t.Fatal(err)
	}
	return caller{id: i.ID, headers: http.Header{
		"Integrasjonid":      {i.ID},
		"Integrasjonpassord": {pw},
		"Authorization":      {"Bearer " + tok},
	}}
}

func (f *fixture) employee(userName string) caller {
	f.t.Helper()
	u, err := f.tenant.CreateUser(context.Background(), store.User{UserName: userName, Active: true})
	if err != nil {
		f.t.Fatal(err)
	}
	tok, err := auth.MintEmployeeToken(f.dir, userName, "", 5*time.Minute)
	if err != nil {
		f.t.Fatal(err)
	}
	return caller{id: u.ID, headers: http.Header{"Authorization": {"Bearer " + tok}}}
}

func (f *fixture) grant(roleID, kind, subject string) store.Grant {
	f.t.Helper()
	g, err := f.tenant.CreateGrant(context.Background(), store.Grant{RoleID: roleID, Kind: kind, SubjectID: subject})
	if err != nil {
		f.t.Fatal(err)
	}
	return g
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) fiks(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("error body %q: %v", r.body, err)
	}
	return m
}

func (f *fixture) do(c caller, method, path string, body []byte, extra ...string) response {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, f.http.URL+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	for k, v := range c.headers {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			req.Header.Del(extra[i])
		} else {
			req.Header.Set(extra[i], extra[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func personPath(roleID, id string, query string) string {
	p := "/folkeregister/api/v1/" + roleID + "/v1/personer/" + id
	if query != "" {
		p += "?" + query
	}
	return p
}

// audit returns every audit record of the organisation.
func (f *fixture) audit() []store.AuditRecord {
	f.t.Helper()
	var out []store.AuditRecord
	if err := f.tenant.ScanAudit(context.Background(), 0, func(r store.AuditRecord) error {
		out = append(out, r)
		return nil
	}); err != nil {
		f.t.Fatal(err)
	}
	return out
}

func (f *fixture) lastAudit() store.AuditRecord {
	f.t.Helper()
	recs := f.audit()
	if len(recs) == 0 {
		f.t.Fatal("no audit record")
	}
	return recs[len(recs)-1]
}

// sqlDB opens the store's SQLite file directly, for tampering.
func (f *fixture) sqlDB() *sql.DB {
	f.t.Helper()
	db, err := sql.Open("sqlite3", f.dbPath)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { db.Close() })
	return db
}

// topLevel returns the JSON keys of a person document.
func topLevel(t *testing.T, b []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body %q: %v", b, err)
	}
	return m
}
