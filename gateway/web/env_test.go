package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"

	"folkevakt/gateway"
	"folkevakt/gateway/access"
	"folkevakt/gateway/auth"
	"folkevakt/gateway/freg"
	"folkevakt/gateway/freg/synth"
	"folkevakt/gateway/web"
	"folkevakt/policy"
	"folkevakt/policy/admin"
	"folkevakt/store"
	"folkevakt/store/sqlstore"
)

const (
	orgNumber  = "921000006"
	kommunenr  = "4627"
	population = 2000
	adminToken = "fv_admin_web_test_token_0123456789abcdef"
)

var (
	regOnce sync.Once
	reg     *synth.Register
)

func register(t testing.TB) *synth.Register {
	regOnce.Do(func() {
		var err error
		reg, err = synth.Generate(synth.Config{Seed: 11, N: population, Kommuner: []string{kommunenr}})
		if err != nil {
			t.Fatal(err)
		}
	})
	return reg
}

// env is a real server on loopback: SQLite store, policy engine, dev
// issuers, the gateway with citizen lists, and the web pages.
type env struct {
	t      testing.TB
	dir    string
	st     *sqlstore.Store
	org    store.Organisation
	tenant store.Tenant
	admin  *admin.Service
	engine *policy.Engine
	authn  *auth.Authenticator
	srv    *httptest.Server
	gw     *gateway.Server
}

type envOpts struct {
	consoleGroup string
	oidc         web.OIDC
	oidcIssuer   string // auth.Config.OIDCIssuer (default dev)
	audience     string
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, dir: t.TempDir()}
	var err error
	e.st, err = sqlstore.Open(ctx, sqlstore.Options{Path: filepath.Join(e.dir, "folkevakt.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.st.Close() })
	if err := e.st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	e.admin = admin.New(e.st, admin.Options{})
	e.org, err = e.admin.EnsureOrganisation(ctx, orgNumber, "Storevik kommune", []string{kommunenr})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.admin.EnsureToken(ctx, e.org.ID, store.TokenAdmin, "web-test", adminToken); err != nil {
		t.Fatal(err)
	}
	e.tenant = e.st.Tenant(e.org.ID)
	model, err := os.ReadFile("../../model.conf")
	if err != nil {
		t.Fatal(err)
	}
	e.engine, err = policy.New(ctx, policy.Options{Model: string(model), Store: e.st})
	if err != nil {
		t.Fatal(err)
	}
	issuer := o.oidcIssuer
	if issuer == "" {
		issuer = auth.Dev
	}
	e.authn, err = auth.New(ctx, auth.Config{Store: e.st, DataDir: e.dir, Maskinporten: auth.Dev, OIDCIssuer: issuer, OIDCAudience: o.audience})
	if err != nil {
		t.Fatal(err)
	}
	up := register(t)
	e.srv = httptest.NewUnstartedServer(nil)
	oc := o.oidc
	if oc.Issuer == "" {
		oc.Issuer = issuer
	}
	if oc.RedirectURL == "auto" {
		oc.RedirectURL = "http://" + e.srv.Listener.Addr().String() + "/logg-inn/callback"
	}
	e.gw = gateway.New(gateway.Options{Store: e.st, Policy: e.engine, Upstream: up, Auth: e.authn,
		Mounts: []func(*gin.Engine){e.authn.Mount, web.Mount(web.Options{
			Admin: e.admin, Access: func() *access.Service { return e.gw.Access() }, Engine: e.engine, Auth: e.authn, Store: e.st, DataDir: e.dir,
			OIDC: oc, ConsoleGroup: o.consoleGroup})}})
	if err := e.gw.EnableLists(ctx, gateway.ListsOptions{DataDir: e.dir}); err != nil {
		t.Fatal(err)
	}
	e.srv.Config.Handler = e.gw
	e.srv.Start()
	t.Cleanup(func() { e.srv.Close(); e.gw.Close() })
	return e
}

func (e *env) user(userName, display string) store.User {
	e.t.Helper()
	u, err := e.tenant.CreateUser(context.Background(), store.User{UserName: userName, DisplayName: display, Active: true})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func (e *env) group(name string, members ...string) store.Group {
	e.t.Helper()
	g, err := e.tenant.CreateGroup(context.Background(), store.Group{DisplayName: name}, members)
	if err != nil {
		e.t.Fatal(err)
	}
	return g
}

// person returns the full record of identity number id.
func (e *env) person(id string) *freg.Person {
	e.t.Helper()
	p, err := register(e.t).Person(context.Background(), id, []string{"person-basis"})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// browser is a cookie-keeping HTTP client.
type browser struct {
	t      testing.TB
	c      *http.Client
	base   string
	last   string
	status int
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, c: &http.Client{Jar: jar}, base: e.srv.URL}
}

var reCSRF = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (b *browser) get(path string) string {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.read(resp)
}

func (b *browser) read(resp *http.Response) string {
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	b.last, b.status = string(body), resp.StatusCode
	return b.last
}

func (b *browser) csrf() string {
	m := reCSRF.FindStringSubmatch(b.last)
	if m == nil {
		b.t.Fatalf("no CSRF token on the last page:\n%s", b.last)
	}
	return m[1]
}

// post submits a form with the CSRF token of the last page.
func (b *browser) post(path string, form url.Values) string {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", b.csrf())
	}
	resp, err := b.c.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.read(resp)
}

func (b *browser) want(status int) {
	b.t.Helper()
	if b.status != status {
		b.t.Fatalf("status %d, want %d; page:\n%s", b.status, status, b.last)
	}
}
