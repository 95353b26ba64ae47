// Package web serves folkevakt's two web pages in Norwegian bokmål: the
// compliance officers' console (/konsoll: roles, integrations, grants,
// change history, audit log, explain) and the employees' search portal
// (/portal: search, person page, citizen lists), plus sign-in.
//
// The console calls policy/admin directly, as the admin API does. The portal
// never reads FREG or filters data itself: every search, lookup, graded
// address reveal and list order is a request to the gateway's own routes,
// made in-process with the signed-in employee's ID token, so that
// authentication, policy, reduction and audit are exactly the gateway's.
//
// Everything the pages need (templates, CSS, a little JavaScript) is
// embedded in the binary; the pages work without JavaScript.
package web

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"folkevakt/gateway/access"
	"folkevakt/gateway/auth"
	"folkevakt/policy"
	"folkevakt/policy/admin"
	"folkevakt/policy/secret"
	"folkevakt/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// OIDC configures the authorisation-code flow with a real issuer (Entra ID).
// It is unused when the Authenticator's employee issuer is "dev".
type OIDC struct {
	// Issuer is the issuer URL (the same as auth.Config.OIDCIssuer), or
	// auth.Dev for the local sign-in picker.
	Issuer string
	// ClientID is the application's client id (also the ID token's aud).
	ClientID string
	// ClientSecret is sent to the token endpoint when set (confidential
	// client); PKCE is always used.
	ClientSecret string
	// RedirectURL is the absolute URL of /logg-inn/callback as registered
	// with the issuer, e.g. https://folkevakt.kommune.no/logg-inn/callback.
	RedirectURL string
	// HTTPClient fetches discovery and calls the token endpoint (default:
	// 10 s timeout).
	HTTPClient *http.Client
}

// Options are the web pages' dependencies, built by the caller.
type Options struct {
	Admin *admin.Service
	// Access is the access service the portal reads FREG data through
	// (resolved at request time: the gateway builds it).
	Access func() *access.Service
	Engine *policy.Engine
	Auth   *auth.Authenticator
	Store  store.Store
	// DataDir is where the dev issuer keeps its key (for the sign-in picker).
	DataDir string
	OIDC    OIDC
	// ConsoleGroup is the displayName of the SCIM group whose members may use
	// the console. Empty: the console is reached with the organisation's
	// admin token (the bootstrap path).
	ConsoleGroup string
	Logger       *slog.Logger
	// IdleTimeout ends a session after this long without a request
	// (default 30 min).
	IdleTimeout time.Duration
	// SessionLifetime bounds a session (and a dev ID token) from sign-in
	// (default 8 h).
	SessionLifetime time.Duration
	Now             func() time.Time
}

// app is the mounted web application.
type app struct {
	o        Options
	log      *slog.Logger
	now      func() time.Time
	sessions *sessions
	pages    map[string]*template.Template
	tokens   *secret.TokenAuthenticator
	engine   *gin.Engine // the gateway's engine, for in-process calls
	oidc     *oidcClient
}

// Mount returns the function that adds the web routes to the gateway's gin
// engine (gateway.Options.Mounts).
func Mount(o Options) func(*gin.Engine) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 30 * time.Minute
	}
	if o.SessionLifetime <= 0 {
		o.SessionLifetime = 8 * time.Hour
	}
	if o.OIDC.Issuer == "" {
		o.OIDC.Issuer = auth.Dev
	}
	if o.OIDC.HTTPClient == nil {
		o.OIDC.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	a := &app{
		o:        o,
		log:      o.Logger.With("component", "web"),
		now:      o.Now,
		sessions: newSessions(o.Now, o.IdleTimeout),
		pages:    parsePages(),
		tokens:   secret.NewTokenAuthenticator(o.Store),
	}
	if o.OIDC.Issuer != auth.Dev {
		a.oidc = newOIDCClient(o.OIDC)
	}
	return func(r *gin.Engine) {
		a.engine = r
		a.routes(r)
	}
}

func (a *app) routes(r *gin.Engine) {
	static, _ := fs.Sub(staticFS, "static")
	st := r.Group("/static", a.headers(true))
	st.StaticFS("/", http.FS(static))

	g := r.Group("", a.headers(false), a.session())
	g.GET("/", a.landing)
	g.GET("/logg-inn", a.signInPage)
	g.POST("/logg-inn/dev", a.csrf(), a.signInDev)
	g.GET("/logg-inn/oidc", a.signInOIDC)
	g.GET("/logg-inn/callback", a.oidcCallback)
	g.GET("/konsoll/logg-inn", a.consoleTokenPage)
	g.POST("/konsoll/logg-inn", a.csrf(), a.consoleTokenSignIn)
	g.POST("/logg-ut", a.csrf(), a.signOut)

	k := g.Group("/konsoll", a.requireConsole())
	k.GET("", a.roleOverview)
	k.GET("/roller/ny", a.wizardStart)
	k.GET("/roller/:id/endre", a.wizardEdit)
	k.GET("/veiviser/:step", a.wizardStep)
	k.POST("/veiviser/:step", a.csrf(), a.wizardSubmit)
	k.GET("/roller/:id", a.roleDetail)
	k.POST("/roller/:id/kopi", a.csrf(), a.roleCopy)
	k.POST("/roller/:id/slett", a.csrf(), a.roleDelete)
	k.GET("/roller/:id/tilganger", a.grantsPage)
	k.POST("/roller/:id/tilganger", a.csrf(), a.grantCreate)
	k.POST("/roller/:id/tilganger/:grant/slett", a.csrf(), a.grantRevoke)
	k.GET("/integrasjoner", a.integrations)
	k.GET("/integrasjoner/ny", a.integrationNew)
	k.POST("/integrasjoner/ny", a.csrf(), a.integrationReview)
	k.POST("/integrasjoner/opprett", a.csrf(), a.integrationCreate)
	k.GET("/integrasjoner/opprettet", a.integrationCreated)
	k.POST("/integrasjoner/:id/passord", a.csrf(), a.integrationRotate)
	k.POST("/integrasjoner/:id/slett", a.csrf(), a.integrationDelete)
	k.GET("/endringer", a.changes)
	k.GET("/logg", a.auditPage)
	k.POST("/logg", a.csrf(), a.auditPage)
	k.GET("/forklar", a.explainPage)
	k.POST("/forklar", a.csrf(), a.explainPage)

	p := g.Group("/portal", a.requireEmployee())
	p.GET("", a.portalHome)
	p.POST("/rolle", a.csrf(), a.portalChooseRole)
	p.GET("/sok", a.searchPage)
	p.POST("/sok", a.csrf(), a.searchSubmit)
	p.GET("/person/:handle", a.personPage)
	p.POST("/person/:handle/gradert", a.csrf(), a.personReveal)
	p.GET("/lister", a.listsPage)
	p.POST("/lister", a.csrf(), a.listOrder)
	p.GET("/lister/:id", a.listStatus)
	p.GET("/lister/:id/fil", a.listFile)
}

// headers sets the security headers of every page and asset.
func (a *app) headers(static bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		formAction := "'self'"
		if a.oidc != nil {
			formAction += " " + a.oidc.origin()
		}
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "+
			"form-action "+formAction+"; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		if static {
			h.Set("Cache-Control", "public, max-age=3600")
		} else {
			h.Set("Cache-Control", "no-store")
		}
		c.Next()
	}
}

// secureRequest reports whether the browser reached us over TLS, directly
// or through a proxy that says so.
func secureRequest(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}
