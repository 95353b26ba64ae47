// Package gateway is folkevakt's HTTP surface: one gin engine carrying the
// Folkeregister gateway (/folkeregister/api/v1/{rolleId}/…), the SCIM
// endpoint (/scim/v2), the admin API (/admin/api/v1), the web pages and the
// operational endpoints (/healthz, /readyz, /metrics).
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"folkevakt/gateway/access"
	"folkevakt/gateway/adminapi"
	"folkevakt/gateway/audit"
	"folkevakt/gateway/freg"
	"folkevakt/gateway/lists"
	"folkevakt/policy"
	"folkevakt/store"
)

// Options are the server's dependencies, already built by the caller.
type Options struct {
	Logger   *slog.Logger
	Store    store.Store
	Policy   *policy.Engine
	Upstream freg.Client
	// Auth verifies gateway callers; without it the FREG routes are not
	// served.
	Auth Authenticator
	// UpstreamTimeout bounds one upstream call (default 10 s); past it the
	// caller gets 504.
	UpstreamTimeout time.Duration
	// MachineAuthTTL is how long a successful machine authentication is
	// remembered for the same credentials (default 1 s; negative: never).
	MachineAuthTTL time.Duration
	// AuditBatch bounds the records of one audit transaction (default 512).
	AuditBatch int
	Now        func() time.Time
	// SCIM serves /scim/v2 (mounted with the /scim prefix stripped).
	SCIM http.Handler
	// Mounts add further route groups (admin API, web pages) to the engine.
	Mounts []func(*gin.Engine)
	// Version labels folkevakt_build_info.
	Version string
}

// Server is the gin engine with every route, plus the audit writer it owns.
type Server struct {
	*gin.Engine
	log             *slog.Logger
	store           store.Store
	policy          *policy.Engine
	upstream        freg.Client
	auth            Authenticator
	machines        *machineCache
	audit           *audit.Writer
	access          *access.Service
	lists           *lists.Service
	m               *serverMetrics
	now             func() time.Time
	upstreamTimeout time.Duration
}

// New builds the server. Close it to flush the audit writer.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.UpstreamTimeout <= 0 {
		o.UpstreamTimeout = 10 * time.Second
	}
	if o.MachineAuthTTL == 0 {
		o.MachineAuthTTL = time.Second
	}
	gin.SetMode(gin.ReleaseMode)
	s := &Server{
		log: o.Logger, store: o.Store, policy: o.Policy, upstream: o.Upstream, auth: o.Auth,
		m: newServerMetrics(o.Version), now: o.Now, upstreamTimeout: o.UpstreamTimeout,
	}
	s.machines = newMachineCache(o.MachineAuthTTL, o.Now)
	o.Store.OnChange(func(c store.Change) {
		if c.Entity == store.EntityIntegration && c.Action != store.ActionCreate {
			s.machines.forget()
		}
	})
	s.audit = audit.New(o.Store, audit.Options{MaxBatch: o.AuditBatch, Logger: o.Logger, OnBatch: s.m.auditBatch})
	if o.Policy != nil {
		s.access = access.New(access.Options{Store: o.Store, Policy: o.Policy, Upstream: o.Upstream, Audit: s.audit,
			Logger: o.Logger, Observer: s.m, UpstreamTimeout: o.UpstreamTimeout, Now: o.Now})
	}
	r := gin.New()
	r.ContextWithFallback = true
	r.Use(requestID(), accessLog(o.Logger, s.m), recovery(o.Logger))
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", readiness(o))
	r.GET("/metrics", gin.WrapH(s.m.handler()))
	if o.Auth != nil && o.Policy != nil && o.Upstream != nil {
		s.routes(r)
	}
	if o.SCIM != nil {
		scimHandler := gin.WrapH(http.StripPrefix("/scim", s.m.scim(o.SCIM)))
		// "/scim" itself too, so that it answers a SCIM error, not gin's redirect.
		r.Any("/scim", scimHandler)
		r.Any("/scim/*path", scimHandler)
	}
	for _, m := range o.Mounts {
		m(r)
	}
	r.HandleMethodNotAllowed = true
	r.NoRoute(s.unmatched)
	r.NoMethod(s.unmatched)
	s.Engine = r
	return s
}

// Close stops the audit writer after the records already handed over are
// written. Shut the HTTP server down first.
func (s *Server) Close() {
	if s.lists != nil {
		s.lists.Close()
	}
	s.audit.Close()
}

// Access returns the access service every read of FREG data goes through.
func (s *Server) Access() *access.Service { return s.access }

// Metrics returns the registry behind /metrics, for further collectors.
func (s *Server) Metrics() prometheus.Registerer { return s.m.reg }

const requestIDHeader = "X-Request-Id"

type requestIDKey struct{}

// RequestID returns the id of the request ctx belongs to.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// requestID gives every request an id, taken from a well-formed incoming
// header (so a fagsystem can correlate) or made here.
func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(requestIDHeader)
		if !validRequestID(id) {
			b := make([]byte, 12)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		c.Header(requestIDHeader, id)
		c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), requestIDKey{}, id))
		c.Next()
	}
}

func validRequestID(id string) bool {
	if len(id) < 8 || len(id) > 64 {
		return false
	}
	for _, ch := range id {
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_') {
			return false
		}
	}
	return true
}

// accessLog writes one line per request with the route template, never the
// raw path (which carries identity numbers).
func accessLog(l *slog.Logger, m *serverMetrics) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		took := time.Since(start)
		status := c.Writer.Status()
		m.request(c.Request.Method, route, status, took)
		if !l.Enabled(c.Request.Context(), slog.LevelInfo) {
			return
		}
		attrs := append([]slog.Attr{
			slog.String("request_id", RequestID(c.Request.Context())),
			slog.String("method", c.Request.Method),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Duration("latency", took),
		}, accessLogAttrs(c)...)
		l.LogAttrs(c.Request.Context(), slog.LevelInfo, "request", attrs...)
	}
}

// unmatched answers a request no route takes in the error format of the
// surface its path belongs to; elsewhere gin's plain default stays.
func (s *Server) unmatched(c *gin.Context) {
	p := c.Request.URL.Path
	switch {
	case under(p, "/folkeregister"):
		e := &access.Error{Reason: access.ReasonNotFound, Message: "no such resource"}
		if c.Writer.Status() == http.StatusMethodNotAllowed {
			e = &access.Error{Reason: access.ReasonMethodNotAllowed, Message: "method " + c.Request.Method + " is not allowed here"}
		}
		writeFiks(c, e, p, s.now())
	case under(p, adminapi.Base):
		adminapi.Unmatched(c)
	}
}

// under reports whether path is prefix or below it.
func under(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

// recovery turns a panic into a 500 without echoing anything to the client.
func recovery(l *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if v := recover(); v != nil {
				l.Error("panic in handler", "request_id", RequestID(c.Request.Context()), "route", c.FullPath(), "panic", v)
				c.AbortWithStatus(http.StatusInternalServerError)
			}
		}()
		c.Next()
	}
}

// readiness reports whether the store and the upstream answer.
func readiness(o Options) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		checks := gin.H{}
		ok := true
		if err := o.Store.Ping(ctx); err != nil {
			checks["store"], ok = "unavailable", false
		} else {
			checks["store"] = "ok"
		}
		if o.Upstream != nil {
			if _, err := o.Upstream.LastSequence(ctx); err != nil {
				checks["upstream"], ok = "unavailable", false
			} else {
				checks["upstream"] = "ok"
			}
		}
		status := http.StatusOK
		if !ok {
			status = http.StatusServiceUnavailable
		}
		c.JSON(status, gin.H{"ready": ok, "checks": checks})
	}
}
