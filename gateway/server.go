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
	"time"

	"github.com/gin-gonic/gin"

	"folkevakt/gateway/freg"
	"folkevakt/policy"
	"folkevakt/store"
)

// Options are the server's dependencies, already built by the caller.
type Options struct {
	Logger   *slog.Logger
	Store    store.Store
	Policy   *policy.Engine
	Upstream freg.Client
	// SCIM serves /scim/v2 (mounted with the /scim prefix stripped).
	SCIM http.Handler
	// Mounts add further route groups (admin API, web pages) to the engine.
	Mounts []func(*gin.Engine)
}

// New builds the gin engine with every route.
func New(o Options) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.ContextWithFallback = true
	r.Use(requestID(), accessLog(o.Logger), recovery(o.Logger))
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", readiness(o))
	if o.SCIM != nil {
		r.Any("/scim/*path", gin.WrapH(http.StripPrefix("/scim", o.SCIM)))
	}
	for _, m := range o.Mounts {
		m(r)
	}
	return r
}

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
func accessLog(l *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		l.LogAttrs(c.Request.Context(), slog.LevelInfo, "request",
			slog.String("request_id", RequestID(c.Request.Context())),
			slog.String("method", c.Request.Method),
			slog.String("route", route),
			slog.Int("status", c.Writer.Status()),
			slog.Duration("latency", time.Since(start)),
		)
	}
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
