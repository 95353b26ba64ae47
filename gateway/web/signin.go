package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"folkevakt/gateway/auth"
	"folkevakt/store"
)

func (a *app) landing(c *gin.Context) {
	a.render(c, http.StatusOK, "landing", page{Title: "Folkevakt"})
}

// target is where sign-in leads: the portal unless the console was asked for.
func target(s string) string {
	if s == "konsoll" {
		return "konsoll"
	}
	return "portal"
}

type signInData struct {
	Dev      bool
	Til      string
	Orgs     []store.Organisation
	Org      store.Organisation
	Users    []store.User
	TokenWay bool // console by admin token is offered
}

// signInPage offers the dev picker ("Velg bruker") or the OIDC sign-in.
func (a *app) signInPage(c *gin.Context) {
	ctx := c.Request.Context()
	d := signInData{Dev: a.oidc == nil, Til: target(c.Query("til")), TokenWay: a.o.ConsoleGroup == ""}
	orgs, err := a.o.Admin.ListOrganisations(ctx)
	if err != nil {
		a.internal(c, "list organisations", err)
		return
	}
	d.Orgs = orgs
	if len(orgs) == 1 {
		d.Org = orgs[0]
	}
	for _, o := range orgs {
		if o.ID == c.Query("org") {
			d.Org = o
		}
	}
	if d.Dev && d.Org.ID != "" {
		pg, err := a.o.Store.Tenant(d.Org.ID).ListUsers(ctx, store.ListQuery{Count: 1000})
		if err != nil {
			a.internal(c, "list users", err)
			return
		}
		for _, u := range pg.Items {
			if u.Active {
				d.Users = append(d.Users, u)
			}
		}
	}
	a.render(c, http.StatusOK, "signin", page{Title: "Logg inn", Data: d})
}

// signInDev signs in as the chosen SCIM user with a dev ID token minted
// here and verified like any other token.
func (a *app) signInDev(c *gin.Context) {
	if a.oidc != nil {
		a.errorPage(c, http.StatusNotFound, "Ikke tilgjengelig", "Lokal innlogging finnes bare med utviklingsutstederen (dev).")
		return
	}
	ctx := c.Request.Context()
	orgID, userID := c.PostForm("org"), c.PostForm("bruker")
	u, err := a.o.Store.Tenant(orgID).GetUser(ctx, userID)
	if err != nil || !u.Active {
		a.errorPage(c, http.StatusBadRequest, "Ukjent bruker", "Velg en aktiv bruker fra listen.")
		return
	}
	tok, err := auth.MintEmployeeToken(a.o.DataDir, u.UserName, u.ExternalID, a.o.SessionLifetime)
	if err != nil {
		a.internal(c, "mint dev token", err)
		return
	}
	a.establish(c, orgID, tok, target(c.PostForm("til")))
}

// establish verifies an ID token through the Authenticator, exactly as the
// gateway will, and turns the session into a signed-in one.
func (a *app) establish(c *gin.Context, orgID, idToken, til string) {
	ctx := c.Request.Context()
	p, err := a.o.Auth.Employee(ctx, orgID, idToken)
	if err != nil {
		if errors.Is(err, auth.ErrUnauthenticated) {
			a.log.Info("web sign-in refused", "reason", err.Error())
			a.errorPage(c, http.StatusForbidden, "Innloggingen ble avvist",
				"Du er ikke registrert som aktiv bruker i denne organisasjonen, eller innloggingen var ugyldig.")
			return
		}
		a.internal(c, "verify id token", err)
		return
	}
	console, err := a.inConsoleGroup(ctx, orgID, p.SubjectID)
	if err != nil {
		a.internal(c, "console group", err)
		return
	}
	s := sess(c)
	a.sessions.rotate(s)
	s.orgID, s.userID, s.userName, s.idToken, s.console = orgID, p.SubjectID, p.Name, idToken, console
	s.displayName = ""
	if u, err := a.o.Store.Tenant(orgID).GetUser(ctx, p.SubjectID); err == nil {
		s.displayName = u.DisplayName
	}
	s.expires = a.now().Add(a.o.SessionLifetime)
	if exp := tokenExpiry(idToken); !exp.IsZero() && exp.Before(s.expires) {
		s.expires = exp
	}
	s.state, s.nonce, s.verifier, s.pendingOrg = "", "", "", ""
	a.setCookie(c, s)
	a.log.Info("web sign-in", "kind", "employee", "console", console)
	if til == "konsoll" {
		redirect(c, "/konsoll")
		return
	}
	redirect(c, "/portal")
}

// inConsoleGroup reports whether user is a member of the console group.
func (a *app) inConsoleGroup(ctx context.Context, orgID, userID string) (bool, error) {
	if a.o.ConsoleGroup == "" {
		return false, nil
	}
	t := a.o.Store.Tenant(orgID)
	ids, err := t.ListUserGroups(ctx, userID)
	if err != nil {
		return false, err
	}
	for _, id := range ids {
		g, err := t.GetGroup(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return false, err
		}
		if strings.EqualFold(g.DisplayName, a.o.ConsoleGroup) {
			return true, nil
		}
	}
	return false, nil
}

// jwtClaims decodes a JWT's payload without verifying it; call it only on a
// token the Authenticator has verified.
func jwtClaims(tok string) map[string]any {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m
}

func tokenExpiry(tok string) time.Time {
	if f, ok := jwtClaims(tok)["exp"].(float64); ok {
		return time.Unix(int64(f), 0)
	}
	return time.Time{}
}

// consoleTokenPage is the bootstrap path: without a console group, the
// console is reached with the organisation's admin token.
func (a *app) consoleTokenPage(c *gin.Context) {
	if a.o.ConsoleGroup != "" {
		redirect(c, "/logg-inn?til=konsoll")
		return
	}
	a.render(c, http.StatusOK, "consolelogin", page{Title: "Logg inn i konsollet"})
}

func (a *app) consoleTokenSignIn(c *gin.Context) {
	if a.o.ConsoleGroup != "" {
		redirect(c, "/logg-inn?til=konsoll")
		return
	}
	tok, err := a.tokens.Authenticate(c.Request.Context(), store.TokenAdmin, strings.TrimSpace(c.PostForm("token")))
	if err != nil {
		a.log.Info("web console token refused")
		a.render(c, http.StatusUnauthorized, "consolelogin", page{Title: "Logg inn i konsollet",
			Errors: []fieldError{{Field: "token", Message: "Administrasjonsnøkkelen er ikke gyldig."}}})
		return
	}
	s := sess(c)
	a.sessions.rotate(s)
	s.orgID, s.userID, s.userName, s.idToken, s.tokenID, s.console = tok.OrgID, "", "admin-token:"+tok.Name, "", tok.ID, true
	s.expires = a.now().Add(a.o.SessionLifetime)
	a.setCookie(c, s)
	a.log.Info("web sign-in", "kind", "admin-token")
	redirect(c, "/konsoll")
}

func (a *app) signOut(c *gin.Context) {
	s := sess(c)
	a.sessions.remove(s)
	http.SetCookie(c.Writer, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: secureRequest(c.Request)})
	s.clear() // drop tokens and handles at once
	a.render(c, http.StatusOK, "message", page{Title: "Du er logget ut", Data: "Du er nå logget ut. Lukk nettleseren hvis du bruker en delt maskin."})
}

// ---- OIDC authorisation-code flow with PKCE ----

type oidcClient struct {
	cfg  OIDC
	mu   sync.Mutex
	doc  *discoveryDoc
	when time.Time
}

type discoveryDoc struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
}

func newOIDCClient(cfg OIDC) *oidcClient { return &oidcClient{cfg: cfg} }

// origin is the issuer's scheme://host, allowed as a form target in the CSP.
func (o *oidcClient) origin() string {
	u, err := url.Parse(o.cfg.Issuer)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// discover fetches the discovery document (cached for an hour).
func (o *oidcClient) discover(ctx context.Context) (*discoveryDoc, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.doc != nil && time.Since(o.when) < time.Hour {
		return o.doc, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(o.cfg.Issuer, "/")+"/.well-known/openid-configuration", nil)
	if err != nil {
		return nil, err
	}
	resp, err := o.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("discovery: status %d", resp.StatusCode)
	}
	var d discoveryDoc
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&d); err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	if d.AuthorizationEndpoint == "" || d.TokenEndpoint == "" {
		return nil, errors.New("discovery: endpoints missing")
	}
	o.doc, o.when = &d, time.Now()
	return &d, nil
}

func pkceChallenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// signInOIDC redirects to the issuer's authorisation endpoint.
func (a *app) signInOIDC(c *gin.Context) {
	if a.oidc == nil {
		redirect(c, "/logg-inn")
		return
	}
	ctx := c.Request.Context()
	orgID := c.Query("org")
	if orgID == "" {
		orgs, err := a.o.Admin.ListOrganisations(ctx)
		if err != nil {
			a.internal(c, "list organisations", err)
			return
		}
		if len(orgs) != 1 {
			redirect(c, "/logg-inn")
			return
		}
		orgID = orgs[0].ID
	}
	doc, err := a.oidc.discover(ctx)
	if err != nil {
		a.internal(c, "oidc discovery", err)
		return
	}
	s := sess(c)
	s.state, s.nonce, s.verifier, s.pendingOrg, s.next = randomID(32), randomID(32), randomID(48), orgID, target(c.Query("til"))
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {a.oidc.cfg.ClientID},
		"redirect_uri":          {a.oidc.cfg.RedirectURL},
		"scope":                 {"openid profile"},
		"state":                 {s.state},
		"nonce":                 {s.nonce},
		"code_challenge":        {pkceChallenge(s.verifier)},
		"code_challenge_method": {"S256"},
		"response_mode":         {"query"},
	}
	sep := "?"
	if strings.Contains(doc.AuthorizationEndpoint, "?") {
		sep = "&"
	}
	c.Redirect(http.StatusFound, doc.AuthorizationEndpoint+sep+q.Encode())
}

// oidcCallback checks state, redeems the code with the PKCE verifier and
// verifies the ID token (signature, issuer, audience, times through the
// Authenticator; nonce here).
func (a *app) oidcCallback(c *gin.Context) {
	if a.oidc == nil {
		redirect(c, "/logg-inn")
		return
	}
	s := sess(c)
	fail := func(reason string) {
		a.log.Info("web oidc callback refused", "reason", reason)
		s.state, s.nonce, s.verifier = "", "", ""
		a.errorPage(c, http.StatusBadRequest, "Innloggingen mislyktes", "Innloggingen kunne ikke fullføres. Prøv å logge inn på nytt.")
	}
	state := c.Query("state")
	if s.state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(s.state)) != 1 {
		fail("state mismatch")
		return
	}
	if e := c.Query("error"); e != "" {
		fail("issuer error")
		return
	}
	code := c.Query("code")
	if code == "" {
		fail("missing code")
		return
	}
	ctx := c.Request.Context()
	doc, err := a.oidc.discover(ctx)
	if err != nil {
		a.internal(c, "oidc discovery", err)
		return
	}
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {a.oidc.cfg.RedirectURL},
		"client_id":     {a.oidc.cfg.ClientID},
		"code_verifier": {s.verifier},
	}
	if a.oidc.cfg.ClientSecret != "" {
		form.Set("client_secret", a.oidc.cfg.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, doc.TokenEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		a.internal(c, "token request", err)
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := a.oidc.cfg.HTTPClient.Do(req)
	if err != nil {
		a.internal(c, "token endpoint", err)
		return
	}
	defer resp.Body.Close()
	var tr struct {
		IDToken string `json:"id_token"`
	}
	if resp.StatusCode != http.StatusOK {
		fail(fmt.Sprintf("token endpoint status %d", resp.StatusCode))
		return
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&tr); err != nil || tr.IDToken == "" {
		fail("no id_token")
		return
	}
	if _, err := a.o.Auth.Employee(ctx, s.pendingOrg, tr.IDToken); err != nil && !errors.Is(err, auth.ErrUnauthenticated) {
		a.internal(c, "verify id token", err)
		return
	} else if err != nil {
		a.log.Info("web oidc id token refused", "reason", err.Error())
		s.state, s.nonce, s.verifier = "", "", ""
		a.errorPage(c, http.StatusForbidden, "Innloggingen ble avvist",
			"Du er ikke registrert som aktiv bruker i denne organisasjonen, eller innloggingen var ugyldig.")
		return
	}
	nonce, _ := jwtClaims(tr.IDToken)["nonce"].(string)
	if nonce == "" || subtle.ConstantTimeCompare([]byte(nonce), []byte(s.nonce)) != 1 {
		fail("nonce mismatch")
		return
	}
	a.establish(c, s.pendingOrg, tr.IDToken, s.next)
}
