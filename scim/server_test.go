package scim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"folkevakt/policy/secret"
	"folkevakt/scim"
	"folkevakt/store"
	"folkevakt/store/sqlstore"
)

// env is a running SCIM endpoint: the real handler mounted in a gin engine
// the way the gateway router mounts it, over a SQLite file.
type env struct {
	t      testing.TB
	store  *sqlstore.Store
	tenant store.Tenant
	url    string // base URL up to and including /scim/v2
	token  string
	logs   *bytes.Buffer
}

const tokenName = "entra-prod"

func newEnv(t testing.TB, opts ...scim.Option) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, sqlstore.Options{Path: filepath.Join(t.TempDir(), "folkevakt.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	org, err := st.CreateOrganisation(ctx, store.Organisation{OrgNumber: "974760673", Name: "Testkommune", Kommunenummer: []string{"0301"}})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: st, tenant: st.Tenant(org.ID), token: newToken(t, st.Tenant(org.ID), tokenName), logs: &bytes.Buffer{}}
	logger := slog.New(slog.NewJSONHandler(e.logs, nil))
	h := scim.NewHandler(st, secret.NewTokenAuthenticator(st), logger, opts...)

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Any("/scim", gin.WrapH(http.StripPrefix("/scim", h)))
	r.Any("/scim/*path", gin.WrapH(http.StripPrefix("/scim", h)))
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	e.url = srv.URL + "/scim/v2"
	// The first use of a token pays for its argon2id verification; later
	// requests hit the authenticator's cache. Pay it here, outside any timer.
	e.do(http.MethodGet, "/ServiceProviderConfig", "").must(t, http.StatusOK)
	return e
}

// newToken stores a SCIM token for the tenant the way `folkevakt tokens
// create --kind scim` does and returns the secret.
func newToken(t testing.TB, tn store.Tenant, name string) string {
	t.Helper()
	tok := secret.NewToken(store.TokenSCIM)
	hash, err := secret.Hash(tok)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tn.CreateToken(context.Background(), store.Token{Kind: store.TokenSCIM, Name: name, Lookup: secret.Lookup(tok), Hash: hash}); err != nil {
		t.Fatal(err)
	}
	return tok
}

// response is a decoded SCIM response.
type response struct {
	status      int
	contentType string
	body        map[string]any
	raw         []byte
	allow       string
	location    string
}

func (e *env) do(method, path, body string) response {
	e.t.Helper()
	return e.doWith(method, path, body, e.token)
}

func (e *env) doWith(method, path, body, token string) response {
	e.t.Helper()
	return e.request(method, e.url+path, body, token)
}

// doURL sends a body-less request to an absolute URL.
func (e *env) doURL(method, url string) response {
	e.t.Helper()
	return e.request(method, url, "", e.token)
}

func (e *env) request(method, url, body, token string) response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	out := response{status: res.StatusCode, contentType: res.Header.Get("Content-Type"), raw: raw,
		allow: res.Header.Get("Allow"), location: res.Header.Get("Location")}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			e.t.Fatalf("%s %s: body is not JSON: %s", method, url, raw)
		}
	}
	return out
}

// must fails unless the response has the status.
func (r response) must(t testing.TB, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	return r
}

// get returns the value at a dotted path of the body ("name.givenName";
// a number selects a list element: "emails.0.value").
func (r response) get(path string) any {
	var cur any = r.body
	for _, seg := range splitPath(path) {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[seg]
		case []any:
			i := 0
			for _, ch := range seg {
				i = i*10 + int(ch-'0')
			}
			if i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

// splitPath splits on dots, but an extension URN (with the dot of "2.0")
// stays whole up to the dot after its last colon.
func splitPath(path string) []string {
	if strings.HasPrefix(path, "urn:") {
		i := strings.LastIndex(path, ":")
		if j := strings.Index(path[i:], "."); j >= 0 {
			return append([]string{path[:i+j]}, strings.Split(path[i+j+1:], ".")...)
		}
		return []string{path}
	}
	return strings.Split(path, ".")
}

func (r response) str(path string) string {
	s, _ := r.get(path).(string)
	return s
}

// changes returns the tenant's change history.
func (e *env) changes() []store.Change {
	e.t.Helper()
	page, err := e.tenant.ListChanges(context.Background(), store.ChangeQuery{Count: 10000})
	if err != nil {
		e.t.Fatal(err)
	}
	return page.Items
}
