package lists

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"folkevakt/gateway/access"
	"folkevakt/store"
)

// Authorize is the gateway's part of every request: authenticate the caller
// in the path's role (gin param "rolleId") and, when purpose is not empty,
// have the access service check that the caller holds the role for it. On
// success it returns the Caller; otherwise it has written the (audited)
// refusal itself and returns false.
//
// Lists call it with store.PurposeCitizenLists. Oppvekst calls it with "":
// the access service decides the oppvekst read as a whole.
type Authorize func(c *gin.Context, purpose string) (Caller, bool)

// WriteError writes the gateway's error body (Fiks shape) for e.
type WriteError func(c *gin.Context, e *access.Error)

// Handlers are the HTTP routes of citizen lists and oppvekst.
type Handlers struct {
	Service    *Service
	Authorize  Authorize
	WriteError WriteError
	Logger     *slog.Logger
}

// maxBody bounds request bodies: 1,000 identity numbers fit easily.
const maxBody = 64 << 10

// Register adds the routes to r:
//
//	POST /folkeregister/api/v1/:rolleId/innbyggerlister            order → 202 {id, ...}
//	GET  /folkeregister/api/v1/:rolleId/innbyggerlister            the role's orders
//	GET  /folkeregister/api/v1/:rolleId/innbyggerlister/maler      templates
//	GET  /folkeregister/api/v1/:rolleId/innbyggerlister/:id        status and progress
//	GET  /folkeregister/api/v1/:rolleId/innbyggerlister/:id/fil    the file
//	POST /folkeregister/api/v1/:rolleId/innbyggerlister/:id/avbryt cancel
//	POST /folkeregister/api/v1/:rolleId/innbyggerlister/:id/kopi   order again → 202
//	POST /register/api/v1/ks/:rolleId/oppvekst                     oppvekst dataset
func (h *Handlers) Register(r gin.IRouter) {
	base := "/folkeregister/api/v1/:rolleId/innbyggerlister"
	r.POST(base, h.lists(func(c *gin.Context, who Caller) {
		body, ok := h.body(c)
		if !ok {
			return
		}
		o, err := h.Service.Order(c.Request.Context(), who, body)
		h.reply(c, http.StatusAccepted, o, err)
	}))
	r.GET(base, h.lists(func(c *gin.Context, who Caller) {
		os, err := h.Service.List(c.Request.Context(), who)
		h.reply(c, http.StatusOK, os, err)
	}))
	r.GET(base+"/maler", h.lists(func(c *gin.Context, _ Caller) {
		c.JSON(http.StatusOK, Templates())
	}))
	r.GET(base+"/:id", h.lists(func(c *gin.Context, who Caller) {
		o, err := h.Service.Get(c.Request.Context(), who, c.Param("id"))
		h.reply(c, http.StatusOK, o, err)
	}))
	r.GET(base+"/:id/fil", h.lists(func(c *gin.Context, who Caller) {
		f, o, err := h.Service.Open(c.Request.Context(), who, c.Param("id"))
		if err != nil {
			h.reply(c, 0, nil, err)
			return
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			h.reply(c, 0, nil, err)
			return
		}
		made := o.CreatedAt
		if o.FinishedAt != nil {
			made = *o.FinishedAt
		}
		c.Header("Content-Disposition", `attachment; filename="`+DownloadName(who.Role.Name, made, o.Format)+`"`)
		c.Header("Cache-Control", "no-store")
		c.DataFromReader(http.StatusOK, st.Size(), ContentType(o.Format), f, nil)
	}))
	r.POST(base+"/:id/avbryt", h.lists(func(c *gin.Context, who Caller) {
		o, err := h.Service.Cancel(c.Request.Context(), who, c.Param("id"))
		h.reply(c, http.StatusOK, o, err)
	}))
	r.POST(base+"/:id/kopi", h.lists(func(c *gin.Context, who Caller) {
		o, err := h.Service.Copy(c.Request.Context(), who, c.Param("id"))
		h.reply(c, http.StatusAccepted, o, err)
	}))
	oppvekst := func(c *gin.Context) {
		who, ok := h.Authorize(c, "")
		if !ok {
			return
		}
		body, ok := h.body(c)
		if !ok {
			return
		}
		out, err := h.Service.Oppvekst(c.Request.Context(), who, body)
		h.reply(c, http.StatusOK, out, err)
	}
	r.POST("/register/api/v1/ks/:rolleId/oppvekst", oppvekst)
	// Fiks's published path; fiksOrgId names the organisation in Fiks,
	// which here is the caller's own (authentication decides it).
	r.POST("/folkeregister/api/v1/oppvekst/:fiksOrgId/:rolleId", oppvekst)
}

func (h *Handlers) lists(fn func(*gin.Context, Caller)) gin.HandlerFunc {
	return func(c *gin.Context) {
		who, ok := h.Authorize(c, store.PurposeCitizenLists)
		if !ok {
			return
		}
		fn(c, who)
	}
}

func (h *Handlers) body(c *gin.Context) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxBody))
	if err != nil {
		h.WriteError(c, access.Invalid("body: larger than "+strconv.Itoa(maxBody)+" bytes or unreadable"))
		return nil, false
	}
	return b, true
}

// reply writes v with status, or maps err: the one error table of this
// package. Refusals and failures of the access service are typed; 5xx
// answers carry a generic message and the error is logged once.
func (h *Handlers) reply(c *gin.Context, status int, v any, err error) {
	var e *access.Error
	switch {
	case err == nil:
		c.JSON(status, v)
		return
	case errors.As(err, &e):
	case errors.Is(err, ErrNotFound):
		e = &access.Error{Reason: access.ReasonNotFound, Message: "no such citizen-list order for this role"}
	case errors.Is(err, ErrConflict):
		e = &access.Error{Reason: access.ReasonConflict, Message: "the order is not in a state that allows this (see its status)"}
	case errors.Is(err, ErrBusy):
		e = &access.Error{Reason: access.ReasonBusy, Message: "too many citizen-list orders are waiting; try again later"}
	default:
		if h.Logger != nil {
			h.Logger.Error("lists request failed", "route", c.FullPath(), "err", err)
		}
		e = &access.Error{Reason: access.ReasonInternal, Message: "internal error"}
	}
	h.WriteError(c, e)
}
