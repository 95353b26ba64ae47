package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/net/html"

	"folkevakt/gateway/freg"
	"folkevakt/gateway/web"
	"folkevakt/policy/admin"
	"folkevakt/store"
)

// portalRole creates a web role in a confidential area with a few
// person-basis elements, graded addresses hidden, granted to a group that
// holds a new user. It returns the role and the user.
func (e *env) portalRole(t *testing.T) (store.Role, store.User) {
	t.Helper()
	ctx := store.WithActor(context.Background(), "test")
	r, err := e.admin.CreateRole(ctx, e.org.ID, admin.RoleInput{Name: "Saksbehandling barnevern", Description: "Oppslag for saksbehandlere",
		ServiceArea: "barnevern", Usage: store.UsageWebAndM2M, Purposes: []string{store.PurposeSearch, store.PurposeCitizenLists},
		Elements: []string{"navn", "foedsel", "bostedsadresse", "adressebeskyttelse", "status"}, GradedAddresses: store.GradedHide})
	if err != nil {
		t.Fatal(err)
	}
	u := e.user("kari.nordmann@storevik.kommune.no", "Kari Nordmann")
	g := e.group("Barnevern saksbehandlere", u.ID)
	if _, err := e.admin.CreateGrant(ctx, e.org.ID, r.ID, admin.GrantInput{Kind: store.SubjectGroup, Subject: g.ID}); err != nil {
		t.Fatal(err)
	}
	return r, u
}

func (b *browser) devSignIn(e *env, u store.User, til string) {
	b.t.Helper()
	b.get("/logg-inn?til=" + til)
	b.want(http.StatusOK)
	if !strings.Contains(b.last, "Velg bruker") {
		b.t.Fatalf("no user picker:\n%s", b.last)
	}
	b.post("/logg-inn/dev", url.Values{"org": {e.org.ID}, "bruker": {u.ID}, "til": {til}})
	b.want(http.StatusOK)
}

func lastAudit(t *testing.T, e *env) store.AuditRecord {
	t.Helper()
	var last store.AuditRecord
	if err := e.tenant.ScanAudit(context.Background(), 0, func(r store.AuditRecord) error { last = r; return nil }); err != nil {
		t.Fatal(err)
	}
	return last
}

func TestPortalSearchPersonAndGradedReveal(t *testing.T) {
	e := newEnv(t, envOpts{})
	role, u := e.portalRole(t)
	ex := register(t).Examples()
	b := e.browser()
	b.devSignIn(e, u, "portal")
	if !strings.Contains(b.last, "Søk etter personer") || !strings.Contains(b.last, role.Name) {
		t.Fatalf("not on the search page with the role:\n%s", b.last)
	}

	// Search by fødselsnummer (POST) leads to the person page by handle.
	resp, err := b.c.PostForm(b.base+"/portal/sok", url.Values{"_csrf": {b.csrf()}, "fnr": {ex.Fortrolig}})
	if err != nil {
		t.Fatal(err)
	}
	b.read(resp)
	b.want(http.StatusOK)
	if strings.Contains(resp.Request.URL.String(), ex.Fortrolig) {
		t.Fatalf("identity number in the URL %s", resp.Request.URL)
	}
	if !strings.HasPrefix(resp.Request.URL.Path, "/portal/person/") {
		t.Fatalf("landed on %s", resp.Request.URL.Path)
	}
	for _, want := range []string{`data-element="navn"`, `data-element="identifikasjonsnummer"`, "Vis gradert adresse"} {
		if !strings.Contains(b.last, want) {
			t.Errorf("person page lacks %s", want)
		}
	}
	for _, not := range []string{`data-element="bostedsadresse"`, `data-element="sivilstand"`, `data-element="statsborgerskap"`} {
		if strings.Contains(b.last, not) {
			t.Errorf("person page shows %s before reveal", not)
		}
	}
	if rec := lastAudit(t, e); rec.GradedRevealed || rec.SubjectID != u.ID || rec.RoleID != role.ID {
		t.Fatalf("audit of the lookup: %+v", rec)
	}

	// The explicit reveal is a second, audited gateway request.
	b.post(resp.Request.URL.Path+"/gradert", nil)
	b.want(http.StatusOK)
	if !strings.Contains(b.last, `data-element="bostedsadresse"`) {
		t.Fatalf("graded address not shown after reveal:\n%s", b.last)
	}
	if rec := lastAudit(t, e); !rec.GradedRevealed {
		t.Fatalf("reveal not audited as revealed: %+v", rec)
	}

	// Search by criteria: soek then bulkoppslag, a result list by handles.
	ord := e.person(ex.Ordinary)
	var etternavn string
	for _, n := range ord.Navn {
		if n.ErGjeldende {
			etternavn = n.Etternavn
		}
	}
	resp, err = b.c.PostForm(b.base+"/portal/sok", url.Values{"_csrf": {b.csrf()}, "navn": {etternavn}})
	if err != nil {
		t.Fatal(err)
	}
	b.read(resp)
	b.want(http.StatusOK)
	if !strings.Contains(b.last, "Viser ") || !strings.Contains(b.last, "/portal/person/") {
		t.Fatalf("no result list:\n%s", b.last)
	}
	if strings.Contains(b.last, ex.Ordinary) && !strings.Contains(b.last, "Fødselsnummer") {
		t.Fatal("identity number leaked into a link")
	}
}

func TestPortalRefusesWithoutCSRFAndRole(t *testing.T) {
	e := newEnv(t, envOpts{})
	_, u := e.portalRole(t)
	b := e.browser()
	b.devSignIn(e, u, "portal")
	b.post("/portal/sok", url.Values{"_csrf": {"forged"}, "fnr": {register(t).Examples().Ordinary}})
	b.want(http.StatusForbidden)

	// An employee without roles sees no role and cannot search.
	other := e.user("ola@storevik.kommune.no", "")
	b2 := e.browser()
	b2.devSignIn(e, other, "portal")
	if !strings.Contains(b2.last, "Du har ingen roller") {
		t.Fatalf("user without roles:\n%s", b2.last)
	}
	// And the portal is closed to anonymous visitors.
	b3 := e.browser()
	b3.get("/portal/sok")
	if !strings.Contains(b3.last, "Logg inn") {
		t.Fatalf("anonymous portal:\n%s", b3.last)
	}
}

func TestSecurityHeadersAndCookie(t *testing.T) {
	e := newEnv(t, envOpts{})
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/logg-inn", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h := resp.Header
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v", h)
	}
	cs := resp.Cookies()
	if len(cs) != 1 || !cs[0].HttpOnly || !cs[0].Secure || cs[0].SameSite != http.SameSiteLaxMode || len(cs[0].Value) < 43 {
		t.Fatalf("cookie %+v", cs)
	}
	// Plain HTTP: not Secure (the browser would drop it).
	resp, err = http.Get(e.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if c := resp.Cookies(); len(c) != 1 || c[0].Secure {
		t.Fatalf("cookie over http %+v", c)
	}
	// Embedded assets are served.
	resp, err = http.Get(e.srv.URL + "/static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("style.css: %d", resp.StatusCode)
	}
}

func TestConsoleAccess(t *testing.T) {
	t.Run("admin token when no group is named", func(t *testing.T) {
		e := newEnv(t, envOpts{})
		b := e.browser()
		b.get("/konsoll")
		b.want(http.StatusOK)
		if !strings.Contains(b.last, "Administrasjonsnøkkel") {
			t.Fatalf("no token form:\n%s", b.last)
		}
		b.post("/konsoll/logg-inn", url.Values{"token": {"fv_admin_wrong"}})
		b.want(http.StatusUnauthorized)
		b.post("/konsoll/logg-inn", url.Values{"token": {adminToken}})
		b.want(http.StatusOK)
		if !strings.Contains(b.last, "Opprett rolle") {
			t.Fatalf("not on the role overview:\n%s", b.last)
		}
		b.post("/logg-ut", nil)
		b.get("/konsoll")
		if strings.Contains(b.last, "Opprett rolle") {
			t.Fatal("still signed in after logout")
		}
	})
	t.Run("members of the console group only", func(t *testing.T) {
		e := newEnv(t, envOpts{consoleGroup: "Personvernombud"})
		officer := e.user("pvo@storevik.kommune.no", "Per Vern")
		e.group("Personvernombud", officer.ID)
		other := e.user("ola@storevik.kommune.no", "")
		b := e.browser()
		b.get("/logg-inn?til=konsoll")
		b.post("/logg-inn/dev", url.Values{"org": {e.org.ID}, "bruker": {other.ID}, "til": {"konsoll"}})
		b.want(http.StatusForbidden)
		b.get("/konsoll")
		b.want(http.StatusForbidden)
		b.post("/konsoll/logg-inn", url.Values{"token": {adminToken}})
		if strings.Contains(b.last, "Opprett rolle") {
			t.Fatal("admin token accepted although a console group is named")
		}
		b2 := e.browser()
		b2.devSignIn(e, officer, "konsoll")
		b2.want(http.StatusOK)
		if !strings.Contains(b2.last, "Opprett rolle") {
			t.Fatalf("officer not on the console:\n%s", b2.last)
		}
	})
	// Access follows Entra ID at once: a signed-in officer who leaves the
	// console group, or is deactivated, loses the console on the next
	// request, not when the session ends.
	t.Run("lost on the next request", func(t *testing.T) {
		e := newEnv(t, envOpts{consoleGroup: "Personvernombud"})
		ctx := context.Background()
		leaver := e.user("leaver@storevik.kommune.no", "Lea Ver")
		deactivated := e.user("gone@storevik.kommune.no", "Gone Away")
		g := e.group("Personvernombud", leaver.ID, deactivated.ID)
		b1, b2 := e.browser(), e.browser()
		b1.devSignIn(e, leaver, "konsoll")
		b2.devSignIn(e, deactivated, "konsoll")
		for _, b := range []*browser{b1, b2} {
			b.get("/konsoll")
			if !strings.Contains(b.last, "Opprett rolle") {
				t.Fatalf("not on the console:\n%s", b.last)
			}
		}
		if _, err := e.tenant.RemoveMembers(ctx, g.ID, []string{leaver.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.tenant.UpdateUser(ctx, deactivated.ID, func(u store.User) (store.User, error) { u.Active = false; return u, nil }); err != nil {
			t.Fatal(err)
		}
		for name, b := range map[string]*browser{"removed from the group": b1, "deactivated": b2} {
			b.get("/konsoll")
			if strings.Contains(b.last, "Opprett rolle") {
				t.Errorf("%s: still on the console", name)
			}
		}
		b1.want(http.StatusForbidden) // still a user, no longer in the group
		if !strings.Contains(b2.last, "tilgangen din er endret") {
			t.Errorf("deactivated: no explanation:\n%s", b2.last)
		}
	})
	t.Run("admin token deleted", func(t *testing.T) {
		e := newEnv(t, envOpts{})
		b := e.browser()
		b.get("/konsoll")
		b.post("/konsoll/logg-inn", url.Values{"token": {adminToken}})
		if !strings.Contains(b.last, "Opprett rolle") {
			t.Fatalf("not on the console:\n%s", b.last)
		}
		toks, err := e.tenant.ListTokens(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range toks {
			if k.Kind == store.TokenAdmin {
				if err := e.tenant.DeleteToken(context.Background(), k.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		b.get("/konsoll")
		if strings.Contains(b.last, "Opprett rolle") || !strings.Contains(b.last, "Administrasjonsnøkkel") {
			t.Fatalf("deleted token still opens the console:\n%s", b.last)
		}
	})
}

func TestConsoleIntegrationPasswordShownOnce(t *testing.T) {
	e := newEnv(t, envOpts{})
	b := e.browser()
	b.get("/konsoll/logg-inn")
	b.post("/konsoll/logg-inn", url.Values{"token": {adminToken}})
	b.get("/konsoll/integrasjoner/ny")
	b.post("/konsoll/integrasjoner/ny", url.Values{"navn": {"Fagsystem NN"}, "orgnr": {"123"}})
	b.want(http.StatusBadRequest)
	if !strings.Contains(b.last, `href="#orgnr"`) {
		t.Fatalf("error summary does not link the field:\n%s", b.last)
	}
	b.post("/konsoll/integrasjoner/ny", url.Values{"navn": {"Fagsystem NN"}, "orgnr": {orgNumber}, "beskrivelse": {"Test"}})
	b.want(http.StatusOK)
	b.post("/konsoll/integrasjoner/opprett", nil)
	b.want(http.StatusOK)
	if !strings.Contains(b.last, "Integrasjonspassord") || !strings.Contains(b.last, "Passordet vil ikke vises igjen") {
		t.Fatalf("created page:\n%s", b.last)
	}
	is, _ := e.admin.ListIntegrations(context.Background(), e.org.ID)
	if len(is) != 1 || !strings.Contains(b.last, is[0].ID) {
		t.Fatalf("integration %v not shown", is)
	}
	b.get("/konsoll/integrasjoner/opprettet")
	b.want(http.StatusGone)
	chs, _ := e.admin.QueryChanges(context.Background(), e.org.ID, store.ChangeQuery{Entity: store.EntityIntegration})
	if len(chs.Items) == 0 || chs.Items[0].Actor != "console:admin-token:web-test" {
		t.Fatalf("change actor: %+v", chs.Items)
	}
}

// ---- OIDC authorisation-code flow against a provider run here ----

type testProvider struct {
	t        *testing.T
	key      *rsa.PrivateKey
	srv      *httptest.Server
	mu       sync.Mutex
	codes    map[string]codeGrant
	userName string
	badNonce bool
	clientID string
	redirect string
}

type codeGrant struct{ challenge, nonce string }

func TestOIDCCodeFlowWithPKCE(t *testing.T) {
	p := newProvider(t, "folkevakt-web")
	e := newEnv(t, envOpts{oidcIssuer: p.srv.URL, audience: "folkevakt-web",
		oidc: web.OIDC{Issuer: p.srv.URL, ClientID: "folkevakt-web", ClientSecret: "s3cret", RedirectURL: "auto"}})
	_, u := e.portalRole(t)
	p.userName = u.UserName

	b := e.browser()
	b.get("/logg-inn?til=portal")
	if !strings.Contains(b.last, "Logg inn med Microsoft Entra ID") {
		t.Fatalf("no OIDC button:\n%s", b.last)
	}
	b.get("/logg-inn/oidc?til=portal")
	b.want(http.StatusOK)
	if !strings.Contains(b.last, "Søk etter personer") {
		t.Fatalf("not signed in through the code flow:\n%s", b.last)
	}

	// A wrong nonce in the ID token is refused.
	p.badNonce = true
	b2 := e.browser()
	b2.get("/logg-inn/oidc")
	b2.want(http.StatusBadRequest)
	p.badNonce = false

	// A callback without the session's state is refused.
	b3 := e.browser()
	b3.get("/logg-inn/callback?code=x&state=forged")
	b3.want(http.StatusBadRequest)

	// An unknown user is refused after verification.
	p.userName = "nobody@example.org"
	b4 := e.browser()
	b4.get("/logg-inn/oidc")
	b4.want(http.StatusForbidden)
}

func newProvider(t *testing.T, clientID string) *testProvider {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &testProvider{t: t, key: key, codes: map[string]codeGrant{}, clientID: clientID}
	mux := http.NewServeMux()
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": p.srv.URL, "authorization_endpoint": p.srv.URL + "/authorize",
			"token_endpoint": p.srv.URL + "/token", "jwks_uri": p.srv.URL + "/keys", "id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()), "e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes())}}})
	})
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("client_id") != clientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" ||
			q.Get("code_challenge") == "" || q.Get("state") == "" || q.Get("nonce") == "" || !strings.Contains(q.Get("scope"), "openid") {
			http.Error(w, "bad authorize request", http.StatusBadRequest)
			return
		}
		code := base64.RawURLEncoding.EncodeToString([]byte(q.Get("state")))[:16]
		p.mu.Lock()
		p.codes[code] = codeGrant{challenge: q.Get("code_challenge"), nonce: q.Get("nonce")}
		p.redirect = q.Get("redirect_uri")
		p.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code="+code+"&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		p.mu.Lock()
		g, ok := p.codes[r.PostForm.Get("code")]
		delete(p.codes, r.PostForm.Get("code"))
		redirect := p.redirect
		p.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !ok || r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("client_secret") != "s3cret" ||
			r.PostForm.Get("redirect_uri") != redirect || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		nonce := g.nonce
		if p.badNonce {
			nonce = "other"
		}
		now := time.Now()
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": p.srv.URL, "aud": clientID, "iat": now.Unix(),
			"exp": now.Add(time.Hour).Unix(), "nonce": nonce, "preferred_username": p.userName, "tid": "t1", "sub": "s1"})
		tok.Header["kid"] = "k1"
		s, err := tok.SignedString(key)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"id_token": s, "token_type": "Bearer"})
	})
	return p
}

// ---- accessibility smoke test over the rendered HTML ----

// checkA11y parses page and checks lang, one h1, labelled inputs, unique
// ids and no skipped heading levels.
func checkA11y(t *testing.T, name, page string) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var (
		h1, prevLevel int
		lang          string
		ids           = map[string]int{}
		labels        = map[string]bool{}
		inputs        []*html.Node
	)
	attr := func(n *html.Node, k string) (string, bool) {
		for _, a := range n.Attr {
			if a.Key == k {
				return a.Val, true
			}
		}
		return "", false
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if id, ok := attr(n, "id"); ok {
				ids[id]++
			}
			switch n.Data {
			case "html":
				lang, _ = attr(n, "lang")
			case "h1", "h2", "h3", "h4", "h5", "h6":
				level := int(n.Data[1] - '0')
				if level == 1 {
					h1++
				}
				if prevLevel > 0 && level > prevLevel+1 {
					t.Errorf("%s: heading h%d follows h%d", name, level, prevLevel)
				}
				prevLevel = level
			case "label":
				if f, ok := attr(n, "for"); ok {
					labels[f] = true
				}
			case "input", "select", "textarea":
				typ, _ := attr(n, "type")
				if typ != "hidden" && typ != "submit" && typ != "button" {
					inputs = append(inputs, n)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if lang != "nb" {
		t.Errorf("%s: html lang=%q", name, lang)
	}
	if h1 != 1 {
		t.Errorf("%s: %d h1 elements", name, h1)
	}
	for id, n := range ids {
		if n > 1 {
			t.Errorf("%s: id %q used %d times", name, id, n)
		}
	}
	for _, in := range inputs {
		id, _ := attr(in, "id")
		_, aria := attr(in, "aria-label")
		if !aria && (id == "" || !labels[id]) {
			var buf bytes.Buffer
			html.Render(&buf, in)
			t.Errorf("%s: input without label: %s", name, buf.String())
		}
	}
	if !strings.Contains(page, `class="skip" href="#hovedinnhold"`) {
		t.Errorf("%s: no skip link", name)
	}
}

func TestAccessibilitySmoke(t *testing.T) {
	e := newEnv(t, envOpts{})
	role, u := e.portalRole(t)
	ex := register(t).Examples()
	ctx := context.Background()
	if _, err := e.admin.CreateIntegration(store.WithActor(ctx, "test"), e.org.ID, admin.IntegrationInput{Name: "Fagsystem", OrgNumber: orgNumber}); err != nil {
		t.Fatal(err)
	}
	pages := map[string]string{}
	anon := e.browser()
	pages["landing"] = anon.get("/")
	pages["signin"] = anon.get("/logg-inn?til=portal")
	pages["consolelogin"] = anon.get("/konsoll/logg-inn")

	k := e.browser()
	k.get("/konsoll/logg-inn")
	k.post("/konsoll/logg-inn", url.Values{"token": {adminToken}})
	pages["roles"] = k.last
	pages["role"] = k.get("/konsoll/roller/" + role.ID)
	pages["grants"] = k.get("/konsoll/roller/" + role.ID + "/tilganger")
	k.get("/konsoll/roller/ny")
	pages["wizard1"] = k.last
	k.post("/konsoll/veiviser/1", url.Values{"tjenesteomrade": {"stotte"}, "navn": {"R"}, "beskrivelse": {"B"}, "bruk": {"web+m2m"}})
	pages["wizard2"] = k.last
	k.post("/konsoll/veiviser/2", url.Values{"bruksomrade": {"search"}})
	pages["wizard3"] = k.last
	k.post("/konsoll/veiviser/3", url.Values{"element": {"navn"}})
	pages["wizard4"] = k.last
	k.post("/konsoll/veiviser/4", url.Values{"graderte": {"hide"}})
	pages["wizard5"] = k.last
	pages["wizard1-errors"] = k.post("/konsoll/veiviser/1", url.Values{"tjenesteomrade": {""}})
	pages["integrations"] = k.get("/konsoll/integrasjoner")
	pages["integrationnew"] = k.get("/konsoll/integrasjoner/ny")
	pages["changes"] = k.get("/konsoll/endringer")
	pages["audit"] = k.get("/konsoll/logg")
	pages["explain"] = k.get("/konsoll/forklar")

	p := e.browser()
	p.devSignIn(e, u, "portal")
	pages["search"] = p.last
	pages["search-errors"] = p.post("/portal/sok", url.Values{"fnr": {"12"}})
	resp, err := p.c.PostForm(p.base+"/portal/sok", url.Values{"_csrf": {p.csrf()}, "fnr": {ex.Ordinary}})
	if err != nil {
		t.Fatal(err)
	}
	pages["person"] = p.read(resp)
	pages["roles-portal"] = p.get("/portal?bytt=1")
	pages["lists"] = p.get("/portal/lister")

	for name, page := range pages {
		checkA11y(t, name, page)
	}
	if !strings.Contains(pages["wizard3"], `id="element-identifikasjonsnummer"`) || !strings.Contains(pages["wizard3"], "kan ikke velges bort") {
		t.Error("wizard step 3 lacks the fixed fødselsnummer")
	}
	if !strings.Contains(pages["wizard3"], `id="element-familierelasjon" name="element" value="familierelasjon" disabled`) {
		t.Error("confidential element not disabled in a non-confidential area")
	}
	_ = freg.Elements
}
