package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"folkevakt/policy/admin"
	"folkevakt/store"
)

// cookieName is the session cookie; it carries only the random session id.
const cookieName = "folkevakt_sesjon"

// maxHandles bounds the person handles a session remembers.
const maxHandles = 2000

// session is one browser's server-side state. Fields are guarded by mu.
type session struct {
	mu       sync.Mutex
	id       string
	csrf     string
	lastSeen time.Time
	expires  time.Time // absolute end (sign-in + lifetime, or token expiry)

	// Sign-in in progress (OIDC code flow).
	state, nonce, verifier, pendingOrg, next string

	// Identity once signed in.
	orgID       string
	userID      string // SCIM user id; empty for an admin-token console session
	userName    string
	displayName string
	idToken     string // the employee's ID token, the Bearer of in-process gateway calls
	tokenID     string // the admin token of an admin-token console session
	console     bool   // may use the console

	// Portal state.
	roleID   string
	persons  map[string]string // opaque handle → identity number
	results  []resultRow       // the last search's result list
	historic bool              // the last search asked for historic entries

	// Console state.
	draft      *roleDraft
	secret     *admin.IntegrationSecret // shown once, then dropped
	integDraft *admin.IntegrationInput
	flash      string
}

func (s *session) signedIn() bool { return s.orgID != "" }

// clear forgets everything but the lock (the caller holds it).
func (s *session) clear() {
	s.id, s.csrf, s.state, s.nonce, s.verifier, s.pendingOrg, s.next = "", "", "", "", "", "", ""
	s.orgID, s.userID, s.userName, s.displayName, s.idToken, s.tokenID, s.console = "", "", "", "", "", "", false
	s.roleID, s.persons, s.results, s.historic = "", nil, nil, false
	s.draft, s.secret, s.integDraft, s.flash = nil, nil, nil, ""
}

// handle returns the opaque handle of identity number id in this session,
// creating one if needed, so that person pages never carry the number.
func (s *session) handle(id string) string {
	for h, v := range s.persons {
		if v == id {
			return h
		}
	}
	if s.persons == nil || len(s.persons) >= maxHandles {
		s.persons = map[string]string{}
	}
	h := randomID(12)
	s.persons[h] = id
	return h
}

// takeFlash returns and clears the one-time message.
func (s *session) takeFlash() string {
	f := s.flash
	s.flash = ""
	return f
}

type sessions struct {
	mu   sync.Mutex
	m    map[string]*session
	now  func() time.Time
	idle time.Duration
}

func newSessions(now func() time.Time, idle time.Duration) *sessions {
	return &sessions{m: map[string]*session{}, now: now, idle: idle}
}

// randomID returns n random bytes, base64url-encoded.
func randomID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("web: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// get returns the live session with id, or nil; it sweeps expired ones.
func (ss *sessions) get(id string) *session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	now := ss.now()
	for k, s := range ss.m {
		if ss.expired(s, now) {
			delete(ss.m, k)
		}
	}
	s := ss.m[id]
	if s != nil {
		s.mu.Lock()
		s.lastSeen = now
		s.mu.Unlock()
	}
	return s
}

func (ss *sessions) expired(s *session, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return now.Sub(s.lastSeen) > ss.idle || (!s.expires.IsZero() && now.After(s.expires))
}

// create starts a new anonymous session with a 256-bit id.
func (ss *sessions) create() *session {
	s := &session{id: randomID(32), csrf: randomID(32), lastSeen: ss.now()}
	ss.mu.Lock()
	ss.m[s.id] = s
	ss.mu.Unlock()
	return s
}

// rotate gives s a new id and CSRF token (at sign-in, against fixation).
func (ss *sessions) rotate(s *session) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.m, s.id)
	s.id, s.csrf = randomID(32), randomID(32)
	ss.m[s.id] = s
}

func (ss *sessions) remove(s *session) {
	ss.mu.Lock()
	delete(ss.m, s.id)
	ss.mu.Unlock()
}

const keySession = "folkevakt.web.session"

// session loads or starts the browser's session. Handlers lock it for their
// whole run, which serialises one browser's requests.
func (a *app) session() gin.HandlerFunc {
	return func(c *gin.Context) {
		var s *session
		if ck, err := c.Request.Cookie(cookieName); err == nil {
			s = a.sessions.get(ck.Value)
		}
		if s == nil {
			s = a.sessions.create()
			a.setCookie(c, s)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		c.Set(keySession, s)
		c.Next()
	}
}

func (a *app) setCookie(c *gin.Context, s *session) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: cookieName, Value: s.id, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: secureRequest(c.Request),
	})
}

func sess(c *gin.Context) *session { return c.MustGet(keySession).(*session) }

// csrf refuses a state-changing request whose _csrf field does not match the
// session's token (constant-time).
func (a *app) csrf() gin.HandlerFunc {
	return func(c *gin.Context) {
		s := sess(c)
		got := c.PostForm("_csrf")
		if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) != 1 {
			a.log.Warn("csrf check failed", "route", c.FullPath())
			a.errorPage(c, http.StatusForbidden, "Skjemaet er utløpt",
				"Skjemaet kunne ikke sendes fordi økten er utløpt eller skjemaet kom fra en annen side. Gå tilbake, last siden på nytt og prøv igjen.")
			c.Abort()
			return
		}
		c.Next()
	}
}

// requireConsole lets only console sessions through. Who the session
// belongs to is checked again on every request (see current), so that a
// user deprovisioned in Entra ID, removed from the console group or whose
// admin token was deleted loses the console at once, not when the session
// ends.
func (a *app) requireConsole() gin.HandlerFunc {
	return func(c *gin.Context) {
		s := sess(c)
		if !a.current(c, s) {
			c.Abort()
			return
		}
		switch {
		case !s.signedIn():
			if a.o.ConsoleGroup == "" {
				c.Redirect(http.StatusSeeOther, "/konsoll/logg-inn")
			} else {
				c.Redirect(http.StatusSeeOther, "/logg-inn?til=konsoll")
			}
			c.Abort()
		case !s.console:
			a.errorPage(c, http.StatusForbidden, "Ingen tilgang til konsollet",
				"Du er logget inn, men er ikke medlem av gruppen som har tilgang til konsollet. Ta kontakt med den som forvalter tilganger i kommunen.")
			c.Abort()
		default:
			c.Next()
		}
	}
}

// requireEmployee lets only signed-in employees (with an ID token) through.
func (a *app) requireEmployee() gin.HandlerFunc {
	return func(c *gin.Context) {
		s := sess(c)
		if !a.current(c, s) {
			c.Abort()
			return
		}
		if !s.signedIn() || s.idToken == "" {
			c.Redirect(http.StatusSeeOther, "/logg-inn?til=portal")
			c.Abort()
			return
		}
		c.Next()
	}
}

// current re-reads what a signed-in session stands on: the SCIM user still
// exists and is active (and, for the console, is still in the console
// group), or the admin token still exists. A session that lost its footing
// is signed out (the caller then sends the browser to sign in); false means
// the check failed and the error page has been written.
func (a *app) current(c *gin.Context, s *session) bool {
	if !s.signedIn() {
		return true
	}
	ctx := c.Request.Context()
	t := a.o.Store.Tenant(s.orgID)
	var ok bool
	var err error
	switch {
	case s.userID != "":
		var u store.User
		u, err = t.GetUser(ctx, s.userID)
		ok = err == nil && u.Active
		if ok && s.console && a.o.ConsoleGroup != "" {
			s.console, err = a.inConsoleGroup(ctx, s.orgID, s.userID)
		}
	case s.tokenID != "":
		var toks []store.Token
		toks, err = t.ListTokens(ctx)
		ok = err == nil && slices.ContainsFunc(toks, func(k store.Token) bool { return k.ID == s.tokenID && k.Kind == store.TokenAdmin })
	}
	if errors.Is(err, store.ErrNotFound) {
		err = nil
	}
	if err != nil {
		a.internal(c, "session check", err)
		return false
	}
	if ok {
		return true
	}
	a.log.Info("web session ended", "reason", "subject no longer allowed")
	a.sessions.remove(s)
	s.clear()
	a.sessions.rotate(s)
	a.setCookie(c, s)
	s.flash = "Økten ble avsluttet fordi tilgangen din er endret. Logg inn på nytt."
	return true
}
